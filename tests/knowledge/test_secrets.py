"""mask_secrets: every credential people paste is masked, and the error around it survives.

The fake secrets are built at run time from a seeded generator and split prefixes, so this file
holds nothing a secret scanner would flag, yet each value has the real shape.
"""

from __future__ import annotations

import base64
import random
import re

import pytest

from knowledge.paste import Redaction, read_paste
from knowledge.secrets import KINDS, marker, mask_secrets

_RNG = random.Random(4242)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
BASE64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"
DIGITS = "0123456789"


def fake(prefix: str, length: int, alphabet: str = ALNUM) -> str:
    return prefix + "".join(_RNG.choice(alphabet) for _ in range(length))


def jwt() -> str:
    return ".".join(
        (
            "ey" + "J" + fake("", 30, URLSAFE),
            "ey" + "J" + fake("", 60, URLSAFE),
            fake("", 43, URLSAFE),
        )
    )


def pem(kind: str = "RSA PRIVATE KEY", newline: str = "\n", end: bool = True) -> str:
    lines = ["-----" + "BEGIN " + kind + "-----"]
    lines += [fake("", 64, BASE64) for _ in range(5)] + [fake("", 20, BASE64) + "=="]
    if end:
        lines.append("-----" + "END " + kind + "-----")
    return newline.join(lines)


GITHUB = fake("gh" + "p_", 36)
GITLAB = fake("gl" + "pat-", 20, URLSAFE)
PASSWORD = fake("Pw-", 14)

# (paste with {s} where the secret goes, the secret, the kind reported)
CASES: list[tuple[str, str, str]] = [
    ("docker login ghcr.io -u bob -p {s}", GITHUB, "github-token"),
    ("export GH_TOKEN={s}", fake("github" + "_pat_", 82, ALNUM + "_"), "github-token"),
    (
        "git clone https://x-access-token:{s}@github.com/acme/api.git",
        fake("gh" + "s_", 36),
        "github-token",
    ),
    ("using {s} for the API", fake("gh" + "o_", 36), "github-token"),
    (
        'curl --header "PRIVATE-TOKEN: {s}" https://gitlab.example.com/api/v4/projects',
        GITLAB,
        "gitlab-token",
    ),
    (
        "docker login registry.gitlab.com -u gitlab+deploy-token-7 -p {s}",
        fake("gl" + "dt-", 20, URLSAFE),
        "gitlab-token",
    ),
    ('  token = "{s}"', fake("gl" + "rt-", 26, URLSAFE), "gitlab-token"),
    (
        "echo {s} | docker login -u bob --password-stdin",
        fake("dckr" + "_pat_", 27, URLSAFE),
        "docker-hub-token",
    ),
    ("//registry.npmjs.org/:_authToken={s}", fake("np" + "m_", 36), "npm-token"),
    (
        "SLACK_BOT_TOKEN={s}",
        fake("xo" + "xb-", 12, DIGITS) + fake("-", 13, DIGITS) + fake("-", 24),
        "slack-token",
    ),
    (
        "SLACK_APP_TOKEN={s}",
        fake("xa" + "pp-1-A0", 9, UPPER) + fake("-", 13, DIGITS) + fake("-", 64, HEX),
        "slack-token",
    ),
    ("aws_access_key_id = {s}", fake("AK" + "IA", 16, UPPER), "aws-access-key-id"),
    ("creds {s} leaked", fake("AS" + "IA", 16, UPPER), "aws-access-key-id"),
    ("aws_secret_access_key = {s}", fake("", 40, BASE64), "aws-secret-key"),
    ("export AWS_SECRET_ACCESS_KEY={s}", fake("", 40, BASE64), "aws-secret-key"),
    ("> Authorization: Bearer {s}", jwt(), "jwt"),
    ('{{"token":"{s}","expires_in":300}}', jwt(), "jwt"),
    ("> Authorization: Bearer {s}", fake("", 40), "bearer-token"),
    ("curl -H 'Authorization: Bearer {s}' https://ghcr.io/v2/", fake("", 24), "bearer-token"),
    ("retrying with Bearer {s} against ghcr.io", fake("", 32, URLSAFE + "."), "bearer-token"),
    ("authorization: Basic {s}", fake("", 28, BASE64) + "=", "basic-auth"),
    ('{{"headers": {{"Authorization": "Basic {s}"}}}}', fake("", 20, BASE64), "basic-auth"),
    ("Authorization: token {s}", fake("", 40, HEX), "authorization-header"),
    ("< Proxy-Authorization: Negotiate {s}", fake("", 60, BASE64), "authorization-header"),
    (
        "docker login -u AWS -p {s} 123456789012.dkr.ecr.us-east-1.amazonaws.com",
        PASSWORD,
        "password",
    ),
    ("docker login -p {s} ghcr.io", fake("", 12), "password"),
    ("podman login --tls-verify=false -p {s} quay.io", fake("", 16), "password"),
    ("docker login -u bob -p{s} registry.example.com", fake("x", 12), "password"),
    (
        'docker login -u bob -p "{s}" registry.example.com',
        "correct horse battery staple",
        "password",
    ),
    ("docker login --username bob --password {s} ghcr.io", fake("", 18), "password"),
    ("docker login --password={s} ghcr.io", fake("", 18), "password"),
    (
        "az acr login --name acme -u 00000000-0000-0000-0000-000000000000 -p {s}",
        fake("", 32),
        "password",
    ),
    ("helm registry login ghcr.io --username bob --password {s}", fake("", 20), "password"),
    (
        "skopeo inspect --creds testuser:{s} docker://127.0.0.1:5002/demo/hello:v1",
        fake("", 10),
        "password",
    ),
    ("skopeo copy --src-creds bob:{s} docker://a/b:1 oci:/tmp/x", fake("", 12), "password"),
    (
        "kubectl create secret docker-registry regcred --docker-username=bob --docker-password={s}",
        fake("", 15),
        "password",
    ),
    ("curl -u bob:{s} https://registry.example.com/v2/_catalog", fake("", 12), "password"),
    ('docker login -u bob --password-stdin ghcr.io <<< "{s}"', fake("", 20), "password"),
    (
        "printf '%s' '{s}' | helm registry login ghcr.io -u bob --password-stdin",
        fake("", 20),
        "password",
    ),
    ("https://bob:{s}@registry.example.com/v2/", fake("", 16), "password-in-url"),
    ("REDIS_URL=redis://:{s}@127.0.0.1:6379/0", fake("", 16), "password-in-url"),
    ("https://me@corp.example:{s}@registry.example.com/", fake("p@", 12), "password-in-url"),
    ('{{"auths": {{"ghcr.io": {{"auth": "{s}"}}}}}}', fake("", 40, BASE64) + "==", "registry-auth"),
    (
        '{{\\"auths\\":{{\\"ghcr.io\\":{{\\"auth\\":\\"{s}\\"}}}}}}',
        fake("", 32, BASE64),
        "registry-auth",
    ),
    ("  .dockerconfigjson: {s}", "ey" + "J" + fake("", 120, BASE64), "registry-auth"),
    (
        '{{"auths": {{"acr.io": {{"identitytoken": "{s}"}}}}}}',
        fake("", 48, URLSAFE),
        "identity-token",
    ),
    ('{{"username": "bob", "password": "{s}"}}', fake("", 16), "password"),
    ("  password: {s}", fake("", 16), "password"),
    ("- DB_PASSWORD={s}", fake("", 16), "password"),
    ("  secret: {s}  # rotate me", fake("", 16), "secret"),
    ("client_secret={s}&grant_type=client_credentials", fake("", 32), "secret"),
    ("api_key: {s}", fake("", 32), "api-key"),
    ("X-Api-Key: {s}", fake("", 32), "api-key"),
    ("--registry-token {s}", fake("", 32), "token"),
    ('"private_key_id": "{s}",', fake("", 40, HEX), "gcp-service-account-key"),
    ("{s}\nError: failed", pem(), "private-key"),
    ("{s}", pem("EC PRIVATE KEY"), "private-key"),
    ("{s}", pem("OPENSSH PRIVATE KEY"), "private-key"),
    ("{s}", pem("ENCRYPTED PRIVATE KEY"), "private-key"),
    ("{s}", pem("PGP PRIVATE KEY BLOCK"), "private-key"),
    ('{{"private_key": "{s}"}}', pem("PRIVATE KEY", "\\n") + "\\n", "private-key"),
    # Issue 8: shapes that used to pass unmasked.
    (
        'Get "https://acme.blob.core.windows.net/c/b?sv=2021-08-06&sr=b&sp=r&sig={s}": EOF',
        fake("", 43, BASE64) + "%3D",
        "url-signature",
    ),
    (
        'Get "https://production.cloudflare.docker.com/registry-v2/docker/registry/v2/blobs/'
        'sha256/2d/2dfa/data?verify={s}": x509: certificate has expired',
        fake("1713625411-", 27, BASE64) + "%3D",
        "url-signature",
    ),
    ("git clone https://{s}@git.example.com/acme/api.git", fake("", 32), "token"),
    ("https://bob:{s}@registry.example.com/v2/", fake("pa/", 12), "password-in-url"),
    ("aws configure set aws_secret_access_key {s}", fake("", 40, BASE64), "aws-secret-key"),
    (
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={s};"
        "EndpointSuffix=core.windows.net",
        fake("", 86, BASE64) + "==",
        "secret",
    ),
    ("> Cookie: {s}", fake("session=", 32), "cookie"),
    (
        "the header was Basic {s} and the registry still said 401",
        base64.b64encode(fake("bob:", 16).encode()).decode(),
        "basic-auth",
    ),
    (
        "send: b'GET /v2/ HTTP/1.1\\r\\nHost: ghcr.io\\r\\nAuthorization: Bearer {s}\\r\\n"
        "\\r\\n'",
        fake("", 40),
        "bearer-token",
    ),
    ("send: b'GET / HTTP/1.1\\r\\nCookie: {s}\\r\\n'", fake("sid=", 32), "cookie"),
    ("token: {s}", fake("ya" + "29.", 120, URLSAFE), "google-access-token"),
    ("X-JFrog-Art-Api: {s}", fake("AK" + "Cp", 69), "jfrog-token"),
    ("docker login -u ci -p {s} acme.jfrog.io", fake("cmVm" + "d", 59), "jfrog-token"),
    ("curl -X POST https://hooks.slack.com/{s}", fake("services/T0", 40, ALNUM + "/"),
     "slack-webhook"),
    (
        "OPENAI_API_KEY={s}",
        fake("sk-" + "proj-", 74, URLSAFE) + fake("T3Blbk" + "FJ", 74, URLSAFE),
        "openai-key",
    ),
    ("stripe key {s} in the build log", fake("sk_" + "test_", 24), "stripe-key"),
    ("doctl auth init -t {s}", fake("dop" + "_v1_", 64, HEX), "digitalocean-token"),
    ("VAULT_TOKEN={s}", fake("hv" + "s.", 95, URLSAFE), "vault-token"),
    ("vault login {s}", "s." + fake("Ab1", 21), "vault-token"),
    ("client secret {s}", fake("", 3) + "8Q" + fake("~", 34), "azure-client-secret"),
    ("key={s}", fake("AI" + "za", 35, URLSAFE), "google-api-key"),
    ("AWS_BEARER_TOKEN_BEDROCK={s}", fake("AB" + "SK", 120, BASE64), "aws-secret-key"),
    ("gitlab-runner register --registration-token {s}", fake("GR1348" + "941", 20),
     "gitlab-token"),
    ("twine upload -p {s}", fake("pypi-" + "AgEIcHlwaS5vcmc", 70, URLSAFE), "pypi-token"),
    ("heroku {s}", fake("HR" + "KU-AA", 58, URLSAFE), "heroku-key"),
    ('credentials "app.terraform.io" {{ token = "{s}" }}',
     fake("", 14) + ".atlas" + "v1." + fake("", 64, URLSAFE), "terraform-token"),
    ("oc login --server=https://api.example.com:6443 {s}", fake("sha256" + "~", 43, URLSAFE),
     "openshift-token"),
    ("curl -sf https://registry.example.com/v2/_catalog \\\n  -u bob:{s}", fake("", 14),
     "password"),
    ('<add key="ClearTextPassword" value="{s}" />', fake("", 16), "password"),
    ("  .dockercfg: |\n    {s}\nmetadata:", "ey" + "J" + fake("", 60, BASE64), "registry-auth"),
    ("apiVersion: v1\nkind: Secret\ndata:\n  tls.key: {s}\n", fake("", 40, BASE64),
     "kubernetes-secret"),
    # Issue 13: package registries' tokens.
    ("//registry.npmjs.org/:_auth={s}", fake("", 40, BASE64) + "=", "registry-auth"),
    ("//npm.pkg.github.com/:_authToken={s}", fake("", 40), "token"),
    ("//nexus.example.com/repository/npm/:_password={s}", fake("", 24, BASE64), "password"),
    ("pip install --index-url https://__token__:{s}@pypi.example.com/simple/ x", fake("", 32),
     "password-in-url"),
    ("<server><id>central</id><username>ci</username><password>{s}</password></server>",
     fake("", 20), "password"),
    ("export CODEARTIFACT_AUTH_TOKEN={s}", fake("ey" + "J2ZXIiOjEsImlzdSI6", 400, URLSAFE),
     "token"),
]


@pytest.mark.parametrize(("template", "secret", "kind"), CASES)
def test_each_secret_is_masked_and_named(template: str, secret: str, kind: str) -> None:
    text = template.format(s=secret)
    masked, redactions = mask_secrets(text)
    assert secret not in masked
    assert marker(kind) in masked
    assert redactions == (Redaction(kind, KINDS[kind].label, 1),)


@pytest.mark.parametrize(("template", "secret", "kind"), CASES)
def test_the_words_around_a_secret_are_kept(template: str, secret: str, kind: str) -> None:
    masked, _ = mask_secrets(template.format(s=secret))
    expected = template.replace("{{", "{").replace("}}", "}").replace("{s}", marker(kind))
    assert masked == expected


def test_a_masked_paste_reads_naturally() -> None:
    masked, _ = mask_secrets(f"$ docker login -u ci -p {PASSWORD} ghcr.io\nError: unauthorized")
    assert masked == "$ docker login -u ci -p [REDACTED password] ghcr.io\nError: unauthorized"


def test_an_opaque_bearer_token_is_named_as_such() -> None:
    masked, _ = mask_secrets(f"Authorization: Bearer {fake('', 30)}")
    assert masked == "Authorization: Bearer [REDACTED bearer-token]"


def test_a_truncated_private_key_is_masked_up_to_where_it_stops() -> None:
    key = pem("RSA PRIVATE KEY", end=False)
    masked, redactions = mask_secrets(f"{key}\nError response from daemon: denied")
    assert masked == "[REDACTED private-key]\nError response from daemon: denied"
    assert redactions[0].kind == "private-key"


def test_an_encrypted_pem_with_headers_is_masked_whole() -> None:
    key = "\n".join(
        [
            "-----" + "BEGIN RSA PRIVATE KEY-----",
            "Proc-Type: 4,ENCRYPTED",
            "DEK-Info: AES-128-CBC," + fake("", 32, HEX.upper()),
            "",
            *[fake("", 64, BASE64) for _ in range(3)],
        ]
    )
    masked, _ = mask_secrets(key + "\nnext line")
    assert masked == "[REDACTED private-key]\nnext line"


def test_a_google_service_account_key_is_masked_but_its_email_kept() -> None:
    key_id, key = fake("", 40, HEX), pem("PRIVATE KEY", "\\n") + "\\n"
    text = (
        f'{{"type": "service_account", "project_id": "acme", "private_key_id": "{key_id}", '
        f'"private_key": "{key}", "client_email": "ci@acme.iam.gserviceaccount.com"}}'
    )
    masked, redactions = mask_secrets(text)
    assert key_id not in masked
    assert "BEGIN" not in masked
    assert "ci@acme.iam.gserviceaccount.com" in masked
    assert [r.kind for r in redactions] == ["gcp-service-account-key", "private-key"]


def test_two_credentials_in_one_skopeo_command_are_both_masked() -> None:
    source, destination = fake("", 12), fake("", 12)
    masked, redactions = mask_secrets(
        f"skopeo copy --src-creds bob:{source} --dest-creds alice:{destination} docker://a docker://b"
    )
    assert masked == (
        "skopeo copy --src-creds bob:[REDACTED password] --dest-creds alice:[REDACTED password] "
        "docker://a docker://b"
    )
    assert redactions == (Redaction("password", "a password", 2),)


def test_kinds_come_in_order_of_first_appearance_with_counts() -> None:
    first, second = fake("", 12), fake("", 12)
    text = f"docker login -p {first} x\n{GITHUB}\ndocker login -p {second} y"
    _, redactions = mask_secrets(text)
    assert redactions == (
        Redaction("password", "a password", 2),
        Redaction("github-token", "a GitHub token", 1),
    )


def test_a_masked_value_is_masked_wherever_else_it_appears() -> None:
    text = f"docker login -u bob -p {PASSWORD} ghcr.io\nWARNING! the password {PASSWORD} is weak"
    masked, redactions = mask_secrets(text)
    assert PASSWORD not in masked
    assert masked.count("[REDACTED password]") == 2
    assert redactions == (Redaction("password", "a password", 2),)


def test_a_quoted_value_cut_off_by_the_paste_is_still_masked() -> None:
    secret = fake("", 20)
    masked, _ = mask_secrets(f'{{"password": "{secret}')
    assert secret not in masked


# --- through read_paste: normalisation first ---------------------------------------------------


def test_a_token_split_by_a_zero_width_space_is_masked_whole() -> None:
    head, tail = GITHUB[:20], GITHUB[20:]
    paste = read_paste(f"docker login ghcr.io -u bob -p {head}\u200b{tail}\nError: denied")
    assert head not in paste.text
    assert tail not in paste.text
    assert paste.text == "docker login ghcr.io -u bob -p [REDACTED github-token]\nError: denied"


def test_a_jwt_split_by_soft_hyphens_and_joiners_is_masked_whole() -> None:
    token = jwt()
    broken = token[:25] + "\u00ad" + token[25:70] + "\u2060" + token[70:]
    paste = read_paste(f"Authorization: Bearer {broken}")
    assert paste.text == "Authorization: Bearer [REDACTED jwt]"
    assert token[30:60] not in paste.text


def test_smart_quotes_and_dashes_from_a_chat_client_do_not_hide_a_password() -> None:
    paste = read_paste(f"docker login \u2014password \u201c{PASSWORD}\u201d ghcr.io")
    assert paste.text == 'docker login --password "[REDACTED password]" ghcr.io'


def test_a_credential_in_a_slack_link_is_masked() -> None:
    url = f"https://bob:{PASSWORD}@registry.example.com/v2/"
    paste = read_paste(f"tried <{url}|{url}> and got 401")
    assert PASSWORD not in paste.text
    assert [r.kind for r in paste.redactions] == ["password-in-url"]


def test_a_secret_in_an_ansi_coloured_ci_log_is_masked() -> None:
    raw = f"2024-05-01T10:11:12.1234567Z \x1b[32;1m$ docker login -u ci -p {GITLAB} ghcr.io\x1b[0;m"
    paste = read_paste(raw)
    assert paste.text == "$ docker login -u ci -p [REDACTED gitlab-token] ghcr.io"


# --- what must not be touched ------------------------------------------------------------------

DIGEST = "sha256:" + "6d16bfe9ca770ffe52fb3718c36cbcc672add3096cd7ea36829351bd548dc17b"

NOT_SECRETS = [
    'time="2026-11-27T17:08:12Z" level=fatal msg="Error parsing image name \\"docker://127.0.0.1:'
    '5002/demo/hello:v1\\": reading manifest v1 in 127.0.0.1:5002/demo/hello: unauthorized: '
    'authentication required"',
    "Error: initializing source docker://127.0.0.1:5004/demo/hello:v1: unable to retrieve auth "
    "token: invalid username/password: unauthorized: invalid username or password",
    'time="2026-11-27T17:11:30Z" level=fatal msg="logging into \\"127.0.0.1:5002\\": invalid '
    'username/password"',
    'failed to resolve reference "ghcr.io/acme/api:1": pull access denied, repository does not '
    "exist or may require authorization: server message: insufficient_scope: authorization failed",
    "failed to authorize: failed to fetch anonymous token: unexpected status from GET request to "
    "https://ghcr.io/token?scope=repository%3Aacme%2Fapi%3Apull&service=ghcr.io: 401 Unauthorized",
    'Www-Authenticate: Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
    'scope="repository:library/nginx:pull"',
    'WWW-Authenticate: Basic realm="basic-realm"',
    "Your authorization token has expired. Reauthenticate and try again.",
    'Error response from daemon: Get "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/": '
    "no basic auth credentials",
    f"ghcr.io/acme/api@{DIGEST}\nDigest: {DIGEST}\nCopying blob {DIGEST}",
    "docker login ghcr.io",
    "docker login -u bob --password-stdin ghcr.io",
    "cat ~/token.txt | docker login ghcr.io -u bob --password-stdin",
    "echo $CR_PAT | docker login ghcr.io -u bob --password-stdin",
    'echo "${{ secrets.GITHUB_TOKEN }}" | docker login ghcr.io -u ${{ github.actor }} '
    "--password-stdin",
    "docker login -u $CI_REGISTRY_USER -p $CI_REGISTRY_PASSWORD $CI_REGISTRY",
    'docker login -u gitlab-ci-token -p "$CI_JOB_TOKEN" registry.gitlab.com',
    "aws ecr get-login-password --region us-east-1 | docker login --username AWS "
    "--password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com",
    "docker login -u bob -p",
    "docker run -p 8080:80 --user 1000:1000 nginx",
    "docker buildx build --secret id=npmrc,src=$HOME/.npmrc --push -t ghcr.io/acme/api:1 .",
    "password: ${{ secrets.REGISTRY_PASSWORD }}\ntoken: {{ .Values.token }}\n"
    "password: <your-password>\nsecret: ********\npassword: null\npassword:\n  valueFrom:",
    "PASSWORD=$REGISTRY_PASSWORD\nTOKEN=${TOKEN}",
    "Data\n====\n.dockerconfigjson:  194 bytes",
    "PWD=/home/runner/work/api\nOLDPWD=/",
    "automountServiceAccountToken: false\nimagePullSecrets:\n  - name: regcred\n"
    "secretName: regcred",
    'Error from server (NotFound): secret "regcred" not found',
    "kubeadm token list\n--token-file /var/run/secrets/token",
    "git@github.com:acme/api.git\nssh://git@github.com:22/acme/api.git",
    "docker://127.0.0.1:5001/demo/hello@sha256:abc",
    '{"auths": {}, "credsStore": "desktop", "credHelpers": {"gcr.io": "gcloud"}}',
    "authorization failed for ghcr.io: the token expired",
    "a password is required; the secret is missing; token invalid",
    "anyone up for lunch at 12? the new place near the office",
    # Issue 8: references, names and digests that look like credentials but are none.
    "password = var.db_password\nadmin_password = local.admin_password",
    'curl -sL --user "$1:$2" "$3" > "$4"',
    "kind: ExternalSecret\nspec:\n  data:\n  - secretKey: db-password\n    remoteRef:\n"
    "      key: prod/db\n      property: password\n  - secretKey: registry-auth",
    f"docker pull registry.example.com:5000/acme/api@{DIGEST}",
    f"Copying config docker://127.0.0.1:5000/a/b@{DIGEST}",
    f"https://registry.example.com:5000/v2/acme/api/manifests/{DIGEST}",
    "https://bob@registry.example.com/v2/ asked for a password",
    "the registry uses basic auth; Basic realm=\"Registry\" was sent",
    '<add key="Username" value="bob" />\n<password>${env.MAVEN_PASSWORD}</password>',
    'Error: Cannot perform an interactive login from a non TTY device\n'
    'npm ERR! code E401\nnpm ERR! Unable to authenticate, need: Basic realm="GitHub Package '
    'Registry"',
    "Could not transfer artifact com.acme:api:pom:1.0 from/to central "
    "(https://repo.example.com/maven2): status code: 401, reason phrase: Unauthorized (401)",
    "x509: certificate signed by unknown authority\nerror: failed to verify certificate",
    "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\nghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
]


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_error_text_and_safe_commands_are_left_alone(text: str) -> None:
    assert mask_secrets(text) == (text, ())


# --- properties --------------------------------------------------------------------------------


def test_masking_twice_changes_nothing_more() -> None:
    text = "\n".join(template.format(s=secret) for template, secret, _ in CASES)
    once, redactions = mask_secrets(text)
    assert redactions
    assert mask_secrets(once) == (once, ())


def test_every_kind_has_a_kebab_case_id_and_a_label_for_a_sentence() -> None:
    for kind_id, kind in KINDS.items():
        assert kind.id == kind_id
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", kind_id)
        assert kind.label.startswith(("a ", "an "))


def test_every_kind_is_reachable_by_some_paste() -> None:
    assert {kind for _, _, kind in CASES} == set(KINDS)


# --- cost --------------------------------------------------------------------------------------

TYPICAL_PASTE = """$ docker pull ghcr.io/acme/api:1.4.2
1.4.2: Pulling from acme/api
Error response from daemon: Head "https://ghcr.io/v2/acme/api/manifests/1.4.2": unauthorized
time="2026-11-27T17:08:12Z" level=fatal msg="Error parsing image name \\"docker://127.0.0.1:5002/demo/hello:v1\\": reading manifest v1 in 127.0.0.1:5002/demo/hello: unauthorized: authentication required"
Error: initializing source docker://127.0.0.1:5004/demo/hello:v1: unable to retrieve auth token: invalid username/password: unauthorized: invalid username or password
  Warning  Failed     12s (x2 over 30s)  kubelet  Failed to pull image "ghcr.io/acme/api:1.4.2": rpc error: code = Unknown desc = failed to pull and unpack image "ghcr.io/acme/api:1.4.2": failed to resolve reference "ghcr.io/acme/api:1.4.2": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed
  Warning  Failed     12s (x2 over 30s)  kubelet  Error: ErrImagePull
  Normal   BackOff    1s (x3 over 29s)   kubelet  Back-off pulling image "ghcr.io/acme/api:1.4.2"
Www-Authenticate: Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/api:pull"
Error response from daemon: pull access denied for acme/api, repository does not exist or may require 'docker login': denied: requested access to the resource is denied
Your authorization token has expired. Reauthenticate and try again.
digest: sha256:6d16bfe9ca770ffe52fb3718c36cbcc672add3096cd7ea36829351bd548dc17b size: 1570
"""  # noqa: E501


def test_a_typical_paste_without_secrets_is_left_as_it_is() -> None:
    paste = (TYPICAL_PASTE * 2)[:2048]
    assert mask_secrets(paste) == (paste, ())


def test_a_megabyte_log_is_masked_throughout() -> None:
    block = TYPICAL_PASTE + f"docker login -u ci -p {PASSWORD} ghcr.io\n"
    text = block * (1_000_000 // len(block))
    masked, redactions = mask_secrets(text)
    assert PASSWORD not in masked
    assert redactions[0].count == text.count(PASSWORD)


def test_a_megabyte_of_secrets_is_masked_value_by_value() -> None:
    text = "".join(f"token={fake('', 12)}\n" for _ in range(50_000))
    _masked, redactions = mask_secrets(text)
    assert redactions == (Redaction("token", "a token", 50_000),)


def test_a_value_two_finders_mask_is_still_masked_where_it_appears_again() -> None:
    # The header finder and the Bearer finder both find the token in the header.
    token = fake("", 24)
    masked, redactions = mask_secrets(f"> Authorization: Bearer {token}\nretried with {token}")
    assert token not in masked
    assert redactions == (Redaction("bearer-token", "a bearer token", 2),)


@pytest.mark.parametrize("text", [
    "docker login with bob:hunter2@reg.example.com failed",
    "proxy is alice:pa/ss@proxy.corp.example:3128",
])
def test_a_login_without_a_scheme_is_masked(text: str) -> None:
    paste = read_paste(text)
    assert "hunter2" not in paste.text
    assert "pa/ss" not in paste.text
    assert [r.kind for r in paste.redactions] == ["password-in-url"]


@pytest.mark.parametrize("text", [
    "nginx:1.25@sha256:abcdef0123", "mailto:bob@example.com", "registry:5000@example.com",
    'at 10:22:33@example.com', "user:password@host.example.com",
])
def test_look_alikes_of_a_bare_login_are_left(text: str) -> None:
    assert read_paste(text).text == text
