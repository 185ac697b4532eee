"""The ``registry-why`` command line: explain, classify, probe, kb, serve.

Exit codes (documented in the README):
  0  success (for ``explain``: a cause was named)
  1  ``explain`` ran but could not name a cause ("not sure")
  2  bad usage or unreadable input
  3  bad configuration (environment, registries file, knowledge base)
  4  the probe could not run (for example, the registry is not allowed)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from collections.abc import Sequence
from typing import IO, Any, NoReturn

from bot import logs
from bot.errors import RegistryWhyError
from bot.kb_admin import fix_rates_from_settings, kb_check
from bot.probe import (
    PackageProbeResult,
    ProbeConfig,
    ProbeResult,
    package_to_json,
    probe_image,
    probe_package,
    to_json,
)
from bot.probe.package_names import PACKAGE_ECOSYSTEMS, InvalidPackage, package_target, split_spec
from bot.probe_requests import ECOSYSTEMS, probe_target, target_of
from bot.render.data import diagnosis_data
from bot.render.terminal import render_image_info, render_probe, render_terminal
from bot.settings import SettingsError, load_probe_config, load_settings
from bot.version import VERSION
from knowledge import (
    MAX_CHARS,
    InvalidReference,
    KnowledgeBaseError,
    KnowledgeError,
    diagnose,
    image_alone,
    knowledge_base,
    mask_secrets,
    parse_reference,
    read_paste,
)

EXIT_OK = 0
EXIT_NOT_SURE = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_PROBE = 4

MAX_INPUT_BYTES = 4 * MAX_CHARS
"""Enough bytes for MAX_CHARS characters: only the last ones of a longer input are kept."""


class UsageError(RegistryWhyError):
    """Input the command cannot use; the message says what to do instead."""

    exit_code = EXIT_USAGE


def _masked(text: str) -> str:
    """``text`` with every credential masked: messages quote what was typed, and people type
    tokens into commands too."""
    # Not read_paste: its normalising would also rewrite the message's own markup.
    return mask_secrets(text)[0]


class _Parser(argparse.ArgumentParser):
    """argparse's parser, masking what it quotes back (``unrecognized arguments: ...``)."""

    def error(self, message: str) -> NoReturn:
        """Print the usage and the masked message, and exit 2 (as argparse does)."""
        super().error(_masked(message))


def _read_text(arg: str | None, stdin: IO[bytes]) -> str:
    if arg is not None and arg != "-":
        return _last_chars(arg)
    if stdin.isatty():
        raise UsageError(
            "give the error text as an argument, or pipe it in: ... | registry-why explain"
        )
    # Keep the tail, however long the stream: that is where a failing log shows its error.
    data = bytearray()
    while chunk := stdin.read(MAX_INPUT_BYTES):
        data += chunk
        del data[:-MAX_INPUT_BYTES]
    return _last_chars(data.decode("utf-8", errors="replace"))


def _last_chars(text: str) -> str:
    """The last MAX_CHARS characters, the part diagnosis reads, cut *before* masking so that a
    huge input costs no more to mask than the limit. The line the cut falls in goes (or the
    word, on one huge line): the tail of a secret cut in two would look like no secret."""
    if len(text) <= MAX_CHARS:
        return text
    tail = text[-MAX_CHARS:]
    cut = tail.find("\n")
    return tail[(cut if cut >= 0 else tail.find(" ")) + 1 :]


def _print_json(data: Any, out: IO[str]) -> None:
    # Strict JSON: NaN and Infinity are not JSON, and other readers refuse them.
    out.write(json.dumps(data, ensure_ascii=False, allow_nan=False) + "\n")


NOTHING_TO_PROBE = (
    f"Probe: the paste names no image and no package ({ECOSYSTEMS}), so there is nothing to "
    "probe."
)


def _probe_config() -> ProbeConfig:
    # At the command line the operator is asking: the probe is on whatever REGISTRY_WHY_PROBE
    # says for Slack.
    config = load_probe_config(load_settings(probe=True))
    assert config is not None, "the probe is enabled, so a configuration is loaded"
    logs.hide(*config.secrets())
    return config


def cmd_explain(args: argparse.Namespace, stdin: IO[bytes], out: IO[str]) -> int:
    """Diagnose one paste and print it for a person or, with --json, for a machine."""
    config = _probe_config() if args.probe else None
    text = _read_text(args.text, stdin)
    diagnosis = diagnose(text)
    image = image_alone(text, diagnosis)
    if image is not None and not args.json and not args.probe:
        out.write(render_image_info(image))
        return EXIT_OK
    probe: ProbeResult | None = None
    target = target_of(diagnosis) if config is not None else None
    if config is not None and target is not None:
        # Only the image or package the paste itself named is probed (at the registry URL it
        # named, for a package).
        probe = asyncio.run(probe_target(target, requester=None, config=config, cache=None))
    if args.json:
        data = diagnosis_data(diagnosis)
        if args.probe:
            data["verdict"] = probe.verdict if probe else None
            data["verdict_reason"] = probe.verdict_reason if probe else NOTHING_TO_PROBE
            data["probe"] = _probe_json(probe) if probe else None
        _print_json(data, out)
    else:
        out.write(render_terminal(diagnosis, full=args.full))
        if args.probe:
            out.write("\n" + (render_probe(probe) if probe else NOTHING_TO_PROBE + "\n"))
    return EXIT_OK if diagnosis.class_id else EXIT_NOT_SURE


def _probe_json(result: ProbeResult) -> dict[str, Any]:
    return package_to_json(result) if isinstance(result, PackageProbeResult) else to_json(result)


def _refuse_secret(argument: str, what: str) -> None:
    """Raise UsageError, the secret masked, when a probe argument holds a credential."""
    typed = read_paste(argument)
    if typed.redactions:
        labels = ", ".join(r.label for r in typed.redactions)
        raise UsageError(
            f"{typed.text!r} holds {labels}: give {what} (the probe uses the operator's "
            "credential, never yours). It is exposed wherever you typed it (shell history): "
            "rotate it now."
        )


def _probe_package(args: argparse.Namespace, out: IO[str]) -> int:
    """``probe --ecosystem npm --registry URL PACKAGE[@VERSION]``."""
    for typed in (args.image, args.registry or ""):
        _refuse_secret(typed, "the package and the registry URL alone")
    name, version = split_spec(args.ecosystem, args.image)
    try:
        package_target(args.ecosystem, name, version)
    except InvalidPackage as exc:
        raise UsageError(str(exc)) from None
    result = asyncio.run(probe_package(args.ecosystem, name, version=version,
                                       registry_url=args.registry, config=_probe_config()))
    if args.json:
        _print_json(package_to_json(result), out)
    else:
        out.write(render_probe(result))
    return EXIT_PROBE if result.refused else EXIT_OK


def cmd_probe(args: argparse.Namespace, stdin: IO[bytes], out: IO[str]) -> int:
    """Probe one image's registry (or, with --ecosystem, one package's) and say what it
    answered."""
    if args.ecosystem != "oci":
        return _probe_package(args, out)
    if args.registry is not None:
        raise UsageError("--registry is for package registries: add --ecosystem (npm, pypi...)")
    # Never probed: a probe with the secret masked out would ask about another reference.
    _refuse_secret(args.image, "the image reference alone, like ghcr.io/org/app:1.2")
    try:
        image = parse_reference(args.image)
    except InvalidReference as exc:
        raise UsageError(f"not an image reference: {exc.problem}") from None
    result = asyncio.run(probe_image(image, config=_probe_config()))
    if args.json:
        _print_json(to_json(result), out)
    else:
        out.write(render_probe(result))
    return EXIT_PROBE if result.refused else EXIT_OK


class _NotStrictJson(UsageError):
    """``NaN`` or ``Infinity``: Python reads them, JSON has no such values."""


def _refuse_constant(name: str) -> Any:
    raise _NotStrictJson(f"{name} is not JSON")


def _classify_line(line: str, threshold: float) -> dict[str, Any]:
    try:
        item = json.loads(line, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"not a JSON object: {exc.msg} at column {exc.colno}"}
    except _NotStrictJson as exc:
        return {"id": None, "error": f"not a JSON object: {exc}"}
    except ValueError:  # Python reads integers of at most 4300 digits
        return {"id": None, "error": "not a JSON object: a number has too many digits"}
    except RecursionError:
        return {"id": None, "error": "not a JSON object: nested too deeply"}
    if not isinstance(item, dict):
        return {"id": None, "error": 'expected a JSON object like {"id": ..., "text": ...}'}
    item_id = item.get("id")
    if isinstance(item_id, float) and not math.isfinite(item_id):  # 1e999 reads as infinity
        return {"id": None, "error": '"id" is a number too large for JSON'}
    if isinstance(item_id, str):
        item_id = _masked(item_id)
    elif not isinstance(item_id, int | float | None):
        return {"id": None, "error": '"id" must be a string, a number or null'}
    if not isinstance(item.get("text"), str):
        return {"id": item_id, "error": 'missing "text" (a string)'}
    diagnosis = diagnose(item["text"])
    # The asked reading, plus whether a paste nobody asked about would get a reply: one batch
    # run measures both.
    return {"id": item_id, "class": diagnosis.class_id, "confidence": diagnosis.confidence,
            "answer_unasked": diagnosis.answer_unasked(threshold)}


def cmd_classify(args: argparse.Namespace, stdin: IO[bytes], out: IO[str]) -> int:
    """Classify JSON lines from stdin, one output line per input line, in order."""
    if not args.jsonl:
        raise UsageError("classify reads JSON lines: use `registry-why classify --jsonl`")
    threshold = load_settings().confidence_threshold
    for raw in stdin:
        line = raw.decode("utf-8", errors="replace").strip()
        if line:
            _print_json(_classify_line(line, threshold), out)
            out.flush()
    return EXIT_OK


def cmd_kb(args: argparse.Namespace, stdin: IO[bytes], out: IO[str]) -> int:
    """List the knowledge base (with fix rates), show one entry, or check entry files."""
    if args.kb_command == "check":
        return kb_check(args.files, out)
    kb = knowledge_base()
    if args.kb_command == "list":
        rates = fix_rates_from_settings() if args.stats else None
        width = max(len(entry.id) for entry in kb)
        for entry in kb:
            rate = f"  {rates[entry.id]}" if rates is not None and entry.id in rates else ""
            out.write(f"{entry.id:<{width}}  {entry.title}{rate}\n")
        if rates is None and args.stats:
            out.write("(no fix rates: REDIS_URL is not set)\n")
        return EXIT_OK
    if args.id not in kb:
        raise UsageError(f"no entry {args.id!r}; `registry-why kb list` shows the ids")
    entry = kb[args.id]
    out.write(json.dumps(entry.model_dump(mode="json", by_alias=True), indent=2) + "\n")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, stdin: IO[bytes], out: IO[str]) -> int:
    """Run the Slack bot (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT)."""
    from bot.slack.server import serve

    serve(load_settings())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = _Parser(
        prog="registry-why",
        description="Explain container registry errors and how to fix them safely.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)

    explain = sub.add_parser("explain", help="diagnose a pasted error (argument or stdin)")
    explain.add_argument("text", nargs="?", help="the error text; '-' or absent reads stdin")
    explain.add_argument("--json", action="store_true", help="print JSON fields")
    explain.add_argument("--full", action="store_true",
                         help="print the whole guide, not just the short answer")
    explain.add_argument(
        "--probe", action="store_true",
        help="also ask the registry of the paste's image (or npm, pypi, maven or nuget "
        "package, at the registry URL the paste names), and say whether it confirms the cause",
    )
    explain.set_defaults(handler=cmd_explain)

    probe = sub.add_parser(
        "probe", help="ask an image's registry whether it can be pulled (or, with --ecosystem, "
        "a package registry whether it serves a package)")
    probe.add_argument("image", help="an image reference, e.g. ghcr.io/org/app:1.2; with "
                       "--ecosystem a package, e.g. @acme/ui@1.2.0, requests==2.31.0, "
                       "org.acme:core:1.0, Newtonsoft.Json@13.0.1")
    probe.add_argument("--ecosystem", choices=["oci", *sorted(PACKAGE_ECOSYSTEMS)],
                       default="oci", help="what to probe (default: oci, an image)")
    probe.add_argument("--registry", metavar="URL",
                       help="the package registry or index URL (one the registries file lists; "
                       "may be left out when it lists one for the ecosystem)")
    probe.add_argument("--json", action="store_true", help="print JSON fields")
    probe.set_defaults(handler=cmd_probe)

    classify = sub.add_parser("classify", help="classify JSON lines from stdin")
    classify.add_argument("--jsonl", action="store_true", help='input lines {"id","text"}')
    classify.set_defaults(handler=cmd_classify)

    kb = sub.add_parser("kb", help="read the knowledge base")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    listing = kb_sub.add_parser("list", help="every class id and title")
    listing.add_argument("--stats", action="store_true",
                         help="add each class's fix rate (helpful/asked, 30 days; needs Redis)")
    check = kb_sub.add_parser("check", help="validate entry files (default: the packaged ones)")
    check.add_argument("files", nargs="*", metavar="FILE")
    show = kb_sub.add_parser("show", help="one entry, as JSON")
    show.add_argument("id")
    kb.set_defaults(handler=cmd_kb)

    serve = sub.add_parser("serve", help="run the Slack bot")
    serve.set_defaults(handler=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``registry-why`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args, sys.stdin.buffer, sys.stdout))
    except KnowledgeBaseError as exc:
        print(f"registry-why: the knowledge base is broken: {_masked(str(exc))}", file=sys.stderr)
        return EXIT_CONFIG
    except SettingsError as exc:
        print(f"registry-why: bad configuration: {_masked(str(exc))}", file=sys.stderr)
        return EXIT_CONFIG
    except (RegistryWhyError, KnowledgeError) as exc:
        print(f"registry-why: {_masked(str(exc))}", file=sys.stderr)
        return exc.exit_code if isinstance(exc, RegistryWhyError) else EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
