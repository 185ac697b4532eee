"""normalize: pasted Slack and terminal text becomes plain lines an error pattern can read."""

from __future__ import annotations

import random

import pytest

from knowledge.normalize import normalize

ESC = "\x1b"


# --- Slack -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("see <https://ghcr.io/v2/>", "see https://ghcr.io/v2/"),
        ("<https://x.example.com|https://x.example.com>", "https://x.example.com"),
        # Slack links a typed host or image reference with http:// in front: keep what was typed.
        (
            "docker pull <http://ghcr.io/acme/api:1.0|ghcr.io/acme/api:1.0>",
            "docker pull ghcr.io/acme/api:1.0",
        ),
        (
            "login to <http://registry.example.com|registry.example.com>",
            "login to registry.example.com",
        ),
        ("read <https://docs.docker.com/x|the docs>", "read the docs (https://docs.docker.com/x)"),
        ("mail <mailto:ops@example.com|ops@example.com>", "mail ops@example.com"),
        ("<https://a.example.com/x|https://b.example.com/y>", "https://a.example.com/x"),
    ],
)
def test_slack_links_become_the_text_that_was_meant(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ping <@U024BE7LH>", "ping @U024BE7LH"),
        ("ping <@U024BE7LH|bob>", "ping @bob"),
        ("in <#C024BE7LR|ops>", "in #ops"),
        ("in <#C024BE7LR>", "in #C024BE7LR"),
        ("<!here> registry down", "@here registry down"),
        ("<!channel>", "@channel"),
        ("<!subteam^SAZ94GDB8|@oncall> look", "@oncall look"),
    ],
)
def test_slack_mentions_become_plain_words(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_slack_entities_and_quotes_are_undone() -> None:
    raw = "&gt; Error: a &amp;&amp; b\nREPOSITORY   TAG\nnginx        &lt;none&gt;\n&gt; quoted"
    assert normalize(raw) == "Error: a && b\nREPOSITORY   TAG\nnginx        <none>\nquoted"


def test_angle_brackets_that_are_not_slack_markup_stay() -> None:
    raw = '"<!DOCTYPE html><html><head><title>502 Bad Gateway</title>" <none> <pod>'
    assert normalize(raw) == raw


def test_entities_are_decoded_once() -> None:
    assert normalize("&amp;lt;") == "&lt;"


# --- Markdown ----------------------------------------------------------------------------------


def test_code_fences_and_backticks_are_removed() -> None:
    raw = "```bash\n$ docker pull nginx:nope\n```\nthe `manifest unknown` part\n```Error: x```"
    assert normalize(raw) == "$ docker pull nginx:nope\nthe manifest unknown part\nError: x"


# --- terminal ----------------------------------------------------------------------------------


def test_ansi_colours_cursor_moves_and_titles_are_removed() -> None:
    raw = (
        f"{ESC}[1;31mError{ESC}[0m response from daemon\n"
        f"{ESC}]0;window title\x07{ESC}[2K{ESC}[1Adenied{ESC}(B\n"
        f"lone {ESC}escape"
    )
    assert normalize(raw) == "Error response from daemon\ndenied\nlone escape"


def test_colour_codes_that_lost_their_escape_byte_are_removed() -> None:
    assert normalize("[0;31mdenied[0m: access [0K") == "denied: access"


def test_bracketed_text_that_only_looks_like_a_colour_code_stays() -> None:
    assert normalize("retry after [5m] and [internal]") == "retry after [5m] and [internal]"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb\r\n", "a\nb"),
        ("old mac\rline ends\r", "old mac\nline ends"),
        ("10%\r50%\r100%\rdone", "10%\n50%\n100%\ndone"),
    ],
)
def test_carriage_returns_become_line_breaks(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


# --- Unicode -----------------------------------------------------------------------------------


def test_invisible_characters_are_removed_so_words_join_up() -> None:
    raw = "\ufeffman\u200bifest un\u200dknown\u2060 for ng\u00adinx \u202eevil\u202c \u200e."
    assert normalize(raw) == "manifest unknown for nginx evil ."


def test_look_alike_characters_become_ascii() -> None:
    raw = (
        "docker login \u2014password \u201csecret\u201d it\u2019s \u2018x\u2019 \u2212 5 "
        "\uff44\uff4f\uff43\uff4b\uff45\uff52\u3000pull a\u00a0b\u2026"
    )
    assert normalize(raw) == "docker login --password \"secret\" it's 'x' - 5 docker pull a b..."


def test_unicode_line_separators_are_line_breaks() -> None:
    assert normalize("a\u2028b\u2029c\x85d") == "a\nb\nc\nd"


def test_compatibility_forms_become_plain_text() -> None:
    raw = "\ufb01le x\u00b2 \u2460 \u2122 \U0001d41d\U0001d428\U0001d41c\U0001d424 \uff1a\uff0f"
    assert normalize(raw) == "file x2 1 TM dock :/"


def test_other_characters_are_not_expanded() -> None:
    raw = "\ufdfa caf\u00e9 \u65e5\u672c"  # NFKC would turn the first into 18 characters
    assert normalize(raw) == raw


def test_nul_bytes_and_lone_surrogates_never_raise() -> None:
    raw = "E\x00r\x00r\x00o\x00r\x00: \ud800denied\udfff\x07\x7f\x9b"
    assert normalize(raw) == "Error: \ufffddenied\ufffd"


def test_binary_junk_gives_printable_text() -> None:
    junk = bytes(range(256)).decode("latin-1") * 4 + "\ud83d\x00\x1b["
    out = normalize(junk)
    assert out
    assert not any(ord(c) < 32 and c not in "\n\t" for c in out)
    assert not any(0xD800 <= ord(c) <= 0xDFFF or 0x7F <= ord(c) <= 0x9F for c in out)


def test_random_input_never_raises_and_is_clean() -> None:
    rng = random.Random(20261127)
    alphabet = (
        "ab{}[]<>|&;:\"'\\`\n\r\t\x1b\x00 #@!^=/.-_"
        "\u200b\ufeff\u202e\u2014\u201c\u00a0\ufdfa\ud800\u2028errorscode"
    )
    for _ in range(300):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 400)))
        out = normalize(raw)
        assert "\r" not in out
        assert "\x1b" not in out
        assert "\n\n\n" not in out


# --- CI logs -----------------------------------------------------------------------------------


def test_github_actions_prefixes_are_stripped() -> None:
    raw = (
        "2024-05-01T10:11:12.1234567Z ##[group]Run docker push ghcr.io/acme/api:1.0\n"
        "2024-05-01T10:11:12.2234567Z denied: permission_denied: write_package\n"
        "2024-05-01T10:11:12.3234567Z ##[endgroup]\n"
        "2024-05-01T10:11:12.4234567Z ##[error]Process completed with exit code 1.\n"
        "::error file=.github/workflows/ci.yml,line=12::push failed\n"
        "::group::Login"
    )
    assert normalize(raw) == (
        "Run docker push ghcr.io/acme/api:1.0\n"
        "denied: permission_denied: write_package\n"
        "\n"
        "Process completed with exit code 1.\n"
        "push failed\n"
        "Login"
    )


def test_gitlab_sections_colours_and_timestamps_are_stripped_and_commands_kept() -> None:
    raw = (
        f"{ESC}[0Ksection_start:1700000000:step_script\r{ESC}[0K"
        f'{ESC}[0K{ESC}[36;1mExecuting "step_script" stage of the job script{ESC}[0;m\n'
        f"{ESC}[32;1m$ docker pull $CI_REGISTRY_IMAGE:latest{ESC}[0;m\n"
        "2024-06-13T15:01:29.123456Z 01E+ Error response from daemon: manifest unknown\n"
        f"section_end:1700000001:step_script\r{ESC}[0K\n"
        f"section_start:1700000002:upload_artifacts[collapsed=true]\r{ESC}[0KUploading"
    )
    assert normalize(raw) == (
        'Executing "step_script" stage of the job script\n'
        "$ docker pull $CI_REGISTRY_IMAGE:latest\n"
        "Error response from daemon: manifest unknown\n"
        "\n"
        "Uploading"
    )


def test_kubectl_event_tables_are_kept_as_they_are() -> None:
    raw = (
        "Events:\n"
        "  Type     Reason     Age                From               Message\n"
        "  ----     ------     ----               ----               -------\n"
        "  Normal   Pulling    30s (x2 over 45s)  kubelet            Pulling image "
        '"ghcr.io/acme/api:1.0"\n'
        "  Warning  Failed     29s (x2 over 44s)  kubelet            Failed to pull image "
        '"ghcr.io/acme/api:1.0": rpc error: code = NotFound desc = failed to pull and unpack '
        "image"
    )
    assert normalize(raw) == raw


# --- progress ----------------------------------------------------------------------------------


def test_docker_pull_progress_lines_are_dropped_and_the_rest_kept() -> None:
    raw = """1.4.2: Pulling from acme/api
a2abf6c4d29d: Pulling fs layer
a9edb18cadd1: Waiting
a2abf6c4d29d: Downloading [=====>                                             ]  3.146MB/31.37MB
a2abf6c4d29d: Verifying Checksum
a2abf6c4d29d: Download complete
a2abf6c4d29d: Extracting [==================================================>]  31.37MB/31.37MB
a2abf6c4d29d: Pull complete
589b7251471a: Already exists
unknown blob
Digest: sha256:6d16bfe9ca770ffe52fb3718c36cbcc672add3096cd7ea36829351bd548dc17b
Status: Downloaded newer image for ghcr.io/acme/api:1.4.2"""
    assert normalize(raw) == (
        "1.4.2: Pulling from acme/api\n"
        "unknown blob\n"
        "Digest: sha256:6d16bfe9ca770ffe52fb3718c36cbcc672add3096cd7ea36829351bd548dc17b\n"
        "Status: Downloaded newer image for ghcr.io/acme/api:1.4.2"
    )


def test_docker_push_progress_lines_are_dropped() -> None:
    raw = """The push refers to repository [ghcr.io/acme/api]
5f70bf18a086: Preparing
5f70bf18a086: Pushing [==================================================>]  1.024kB
e6c97225ef17: Layer already exists
0c1b2f2d3e4f: Mounted from library/alpine
5f70bf18a086: Pushed
denied: permission_denied: write_package"""
    assert normalize(raw) == (
        "The push refers to repository [ghcr.io/acme/api]\ndenied: permission_denied: write_package"
    )


def test_buildkit_and_skopeo_progress_lines_are_dropped() -> None:
    digest = "sha256:e6c97225ef17585dad4c23b318a86790d01133b22e10eb6522ac2786ecb4d04b"
    raw = (
        "#5 [internal] load metadata for ghcr.io/acme/base:1\n"
        f"#6 {digest} 1.05MB / 3.15MB 0.4s\n"
        f"#6 {digest} 3.15MB / 3.15MB 0.9s done\n"
        f"#6 extracting {digest} 0.2s done\n"
        f" => => {digest} 3.15MB / 3.15MB  0.9s\n"
        "#7 ERROR: failed to push ghcr.io/acme/api:1: unexpected status: 403 Forbidden\n"
        f"Copying blob {digest[7:19]} [==========>---------------] 1.2MiB / 3.0MiB\n"
        f"Copying blob {digest}\n"
        "Writing manifest to image destination"
    )
    assert normalize(raw) == (
        "#5 [internal] load metadata for ghcr.io/acme/base:1\n"
        "#7 ERROR: failed to push ghcr.io/acme/api:1: unexpected status: 403 Forbidden\n"
        f"Copying blob {digest}\n"
        "Writing manifest to image destination"
    )


def test_progress_frames_joined_by_carriage_returns_are_dropped() -> None:
    raw = (
        "a2abf6c4d29d: Downloading [=>    ]  1MB/31MB\r"
        "a2abf6c4d29d: Downloading [==>   ]  2MB/31MB\r"
        "error pulling image configuration: download failed after attempts=6: EOF"
    )
    assert normalize(raw) == (
        "error pulling image configuration: download failed after attempts=6: EOF"
    )


# --- registry error bodies ---------------------------------------------------------------------


def test_an_oci_error_body_gets_a_readable_line_after_it() -> None:
    body = (
        '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":'
        '[{"Type":"repository","Class":"","Name":"demo/hello","Action":"pull"}]}]}'
    )
    assert normalize(f"< HTTP/1.1 401 Unauthorized\n{body}\nnext") == (
        f"< HTTP/1.1 401 Unauthorized\n{body}\nUNAUTHORIZED: authentication required\nnext"
    )


def test_every_error_in_a_body_gets_a_line_in_order() -> None:
    body = (
        'curl: {"errors": [{"code": "DENIED", "message": "requested access to the resource is '
        'denied", "detail": null}, {"code": "UNAUTHORIZED", "message": "authentication required"}'
        ', {"code": "TOOMANYREQUESTS"}]}'
    )
    assert normalize(body).split("\n")[1:] == [
        "DENIED: requested access to the resource is denied",
        "UNAUTHORIZED: authentication required",
        "TOOMANYREQUESTS",
    ]


def test_an_error_body_escaped_inside_a_log_string_is_read() -> None:
    line = (
        'time="2026-11-27T17:08:12Z" level=error msg="response: {\\"errors\\":[{\\"code\\":'
        '\\"MANIFEST_UNKNOWN\\",\\"message\\":\\"manifest unknown\\",\\"detail\\":'
        '{\\"Tag\\":\\"nope\\"}}]}"'
    )
    assert normalize(line + "\nafter") == f"{line}\nMANIFEST_UNKNOWN: manifest unknown\nafter"


def test_an_error_body_escaped_twice_is_read() -> None:
    line = (
        '{"log":"{\\"msg\\":\\"{\\\\\\"errors\\\\\\":[{\\\\\\"code\\\\\\":\\\\\\"DENIED\\\\\\",'
        '\\\\\\"message\\\\\\":\\\\\\"requested access to the resource is denied\\\\\\"}]}\\"}"}'
    )
    assert normalize(line) == f"{line}\nDENIED: requested access to the resource is denied"


def test_a_pretty_printed_body_gets_its_lines_after_the_closing_brace() -> None:
    raw = """{
  "errors": [
    {
      "code": "NAME_UNKNOWN",
      "message": "repository name not known to registry",
      "detail": {"name": "nope/nothing"}
    }
  ]
}
done"""
    out = normalize(raw).split("\n")
    assert out[-3:] == ["}", "NAME_UNKNOWN: repository name not known to registry", "done"]


def test_a_body_cut_short_still_yields_its_code_and_message() -> None:
    raw = 'denied {"errors":[{"code":"DENIED","message":"requested access to the resource is den'
    assert normalize(raw) == f"{raw}\nDENIED: requested access to the resource is den"


def test_a_message_with_escapes_and_line_breaks_stays_on_one_line() -> None:
    raw = '{"errors":[{"code":"DENIED","message":"no \\"push\\"\\nfor you\\t"}]}'
    assert normalize(raw) == f'{raw}\nDENIED: no "push" for you'


@pytest.mark.parametrize(
    "raw",
    [
        '{"errors":[{"message":"graphql error without a code"}]}',
        '{"errors": "not a list"}',
        '{"errors":[1, null, "x", {"code": 5}]}',
        '"errors": junk {[',
        "errors everywhere but no body",
        '{"errors":' + "[" * 5000,
        '{\\"errors\\":\\"x',
    ],
)
def test_bodies_without_oci_errors_add_nothing_and_never_raise(raw: str) -> None:
    assert normalize(raw) == raw.strip()


# --- layout ------------------------------------------------------------------------------------


def test_blank_runs_collapse_and_trailing_spaces_go() -> None:
    raw = "\n\n  first  \n\n\n \t \n\nsecond\t\n\n"
    assert normalize(raw) == "  first\n\nsecond"


def test_empty_input_gives_empty_output() -> None:
    assert normalize("") == ""
    assert normalize(" \n\r\n\t ") == ""


def test_a_hard_wrapped_paste_is_joined_back() -> None:
    wrapped = (
        "May  9 07:17:13 localhost docker: time=\"2016-05-09T07:17:13.190858568-04:00\" lev\n"
        "el=debug msg=\"Increasing token expiration to: 60 seconds\"\n"
        "May  9 07:17:13 localhost docker: time=\"2016-05-09T07:17:13.765029480-04:00\" lev\n"
        "el=error msg=\"Attempting next endpoint for pull after error: unauthorized: authe\n"
        "ntication required\"\n"
    )
    assert "unauthorized: authentication required" in normalize(wrapped)
    assert normalize(wrapped).count("\n") == 1


def test_the_same_long_line_twice_is_not_a_wrap() -> None:
    line = 'Error response from daemon: Head "https://ghcr.io/v2/acme/app/manifests/1.0": denied'
    assert normalize(f"{line}\n{line}\nshort") == f"{line}\n{line}\nshort"
