"""What extract_context finds in real tool output: images, registry, tool, operation, status.

The skopeo and podman texts are verbatim from skopeo 1.9.3 and podman 4.3.1 against a local
docker-registry 2.8.2; the others are the messages those tools print, as people paste them.
The integration tests at the end run the real skopeo against the real registry fixture.
"""

from __future__ import annotations

import pytest

from bot.render.terminal import render_terminal
from knowledge.context import Context, Registry
from knowledge.diagnosis import diagnose
from knowledge.entry import RegistryFamily
from knowledge.extract import OCI_ERROR_CODES, extract_context
from knowledge.reference import ImageReference, parse_reference
from tests.support.registry import Registries, skopeo

DIGEST = "sha256:e6c97225ef17585dad4c23b318a86790d01133b22e10eb6522ac2786ecb4d04b"


def ref(text: str) -> ImageReference:
    return parse_reference(text)


def images(text: str) -> list[str]:
    return [str(image) for image in extract_context(text).images]


# --- pastes -----------------------------------------------------------------------------------

KUBELET_DESCRIBE = """\
Name:             web-7d9c8b6f5-x2k4p
Namespace:        shop
Node:             ip-10-0-3-17.eu-west-1.compute.internal/10.0.3.17
Status:           Pending
IP:               10.0.3.201
Containers:
  web:
    Image:          123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:2.14.1
    Image ID:
    Port:           8080/TCP
    State:          Waiting
      Reason:       ImagePullBackOff
    Mounts:
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-8xq2m (ro)
Events:
  Type     Reason     Age                  From               Message
  ----     ------     ----                 ----               -------
  Normal   Scheduled  3m12s                default-scheduler  Successfully assigned shop/web-7d9c8b6f5-x2k4p to ip-10-0-3-17
  Normal   Pulling    95s (x4 over 3m11s)  kubelet            Pulling image "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:2.14.1"
  Warning  Failed     95s (x4 over 3m11s)  kubelet            Failed to pull image "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:2.14.1": rpc error: code = Unknown desc = failed to pull and unpack image "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:2.14.1": failed to resolve reference "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:2.14.1": pulling from host 123456789012.dkr.ecr.eu-west-1.amazonaws.com failed with status code [manifests 2.14.1]: 403 Forbidden
  Warning  Failed     95s (x4 over 3m11s)  kubelet            Error: ErrImagePull
  Normal   BackOff    58s (x7 over 3m10s)  kubelet            Back-off pulling image "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:2.14.1"
"""  # noqa: E501

KUBELET_NOT_FOUND = (
    'Failed to pull image "nginx:1.27-nope": failed to pull and unpack image '
    '"docker.io/library/nginx:1.27-nope": failed to resolve reference '
    '"docker.io/library/nginx:1.27-nope": docker.io/library/nginx:1.27-nope: not found'
)

GITHUB_ACTIONS_BUILDX_PUSH = """\
Run docker/build-push-action@v5
/usr/bin/docker buildx build --iidfile /home/runner/work/_temp/iidfile --platform linux/amd64,linux/arm64 --tag ghcr.io/acme/api:sha-1f2e3d4 --push .
#0 building with "builder-4a1b" instance using docker-container driver
#2 [linux/arm64 internal] load metadata for docker.io/library/python:3.12-slim
#2 DONE 1.1s
#12 exporting to image
#12 pushing layers 0.9s done
#12 ERROR: failed to push ghcr.io/acme/api:sha-1f2e3d4: unexpected status from POST request to https://ghcr.io/v2/acme/api/blobs/uploads/: 403 Forbidden
------
 > exporting to image:
------
ERROR: failed to solve: failed to push ghcr.io/acme/api:sha-1f2e3d4: unexpected status from POST request to https://ghcr.io/v2/acme/api/blobs/uploads/: 403 Forbidden
Error: buildx failed with: ERROR: failed to solve: failed to push ghcr.io/acme/api:sha-1f2e3d4: unexpected status from POST request to https://ghcr.io/v2/acme/api/blobs/uploads/: 403 Forbidden
"""  # noqa: E501

BUILDKIT_BASE_IMAGE_MISSING = """\
#4 [internal] load metadata for docker.io/library/node:18-alpine
#4 DONE 0.8s
#5 [internal] load metadata for docker.io/library/node:18-alpinex
#5 ERROR: docker.io/library/node:18-alpinex: not found
ERROR: failed to solve: node:18-alpinex: failed to resolve source metadata for docker.io/library/node:18-alpinex: docker.io/library/node:18-alpinex: not found
"""  # noqa: E501

DOCKER_SESSION = """\
$ docker pull registry.internal.example.com:5000/platform/base-image:2026.11
2026.11: Pulling from platform/base-image
Error response from daemon: Get "https://registry.internal.example.com:5000/v2/": x509: certificate signed by unknown authority
"""  # noqa: E501

SKOPEO_INSPECT_NO_CREDS = (
    'time="2026-11-27T17:08:12Z" level=fatal msg="Error parsing image name '
    '\\"docker://127.0.0.1:5002/demo/hello:v1\\": reading manifest v1 in '
    '127.0.0.1:5002/demo/hello: unauthorized: authentication required"'
)
SKOPEO_PUSH_NO_CREDS = f"""\
$ skopeo copy --dest-tls-verify=false oci:/tmp/regcheck/layout:v1 docker://127.0.0.1:5002/demo/hello:v2
Getting image source signatures
Copying blob {DIGEST}
time="2026-11-27T17:08:12Z" level=fatal msg="trying to reuse blob {DIGEST} at destination: checking whether a blob {DIGEST} exists in 127.0.0.1:5002/demo/hello: unauthorized: authentication required"
"""  # noqa: E501
SKOPEO_MISSING_DIGEST = (
    'Error parsing image name "docker://127.0.0.1:5001/demo/hello@sha256:'
    + "0" * 64
    + '": reading manifest sha256:'
    + "0" * 64
    + " in 127.0.0.1:5001/demo/hello: manifest unknown: manifest unknown"
)
SKOPEO_LIST_TAGS_404 = (
    "Error listing repository tags: fetching tags list: invalid status code from registry 404 "
    "(Not Found)"
)
SKOPEO_DNS = (
    'Error parsing image name "docker://registry.invalid:5000/demo/hello:v1": pinging container '
    'registry registry.invalid:5000: Get "http://registry.invalid:5000/v2/": dial tcp: lookup '
    "registry.invalid on 127.0.0.1:53: no such host"
)
SKOPEO_CONNECTION_REFUSED = (
    "initializing source docker://127.0.0.1:5999/demo/hello:v1: pinging container registry "
    '127.0.0.1:5999: Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: '
    "connection refused"
)
SKOPEO_UPPERCASE = (
    'Error parsing image name "docker://127.0.0.1:5001/Demo/Hello:v1": invalid reference '
    "format: repository name must be lowercase"
)
SKOPEO_LOGIN_WRONG_PASSWORD = (
    'time="2026-11-27T17:11:30Z" level=fatal msg="logging into \\"127.0.0.1:5002\\": '
    'invalid username/password"'
)
PODMAN_TOKEN_DENIED = """\
$ podman pull --tls-verify=false 127.0.0.1:5004/demo/hello:v1
Trying to pull 127.0.0.1:5004/demo/hello:v1...
Error: initializing source docker://127.0.0.1:5004/demo/hello:v1: reading manifest v1 in 127.0.0.1:5004/demo/hello: errors:
denied: requested access to the resource is denied
unauthorized: authentication required
"""  # noqa: E501
PODMAN_PLATFORM = """\
Trying to pull 127.0.0.1:5001/demo/hello:multi...
Error: choosing an image from manifest list docker://127.0.0.1:5001/demo/hello:multi: no image found in image index for architecture arm64, variant "", OS linux
"""  # noqa: E501


# --- whole pastes -----------------------------------------------------------------------------


def test_kubelet_describe_output() -> None:
    ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    assert extract_context(KUBELET_DESCRIBE) == Context(
        images=(ref(f"{ecr}/shop/web:2.14.1"),),
        registry=Registry(ecr, "ecr"),
        tool="kubelet",
        operation="pull",
        http_status=403,
        oci_codes=(),
        platform=None,
        environments=("kubernetes",),
        region="eu-west-1",
    )


def test_kubelet_event_names_the_image_as_given_and_normalised() -> None:
    context = extract_context(KUBELET_NOT_FOUND)
    assert images(KUBELET_NOT_FOUND) == ["docker.io/library/nginx:1.27-nope"]
    assert context.registry == Registry("docker.io", "dockerhub")
    assert (context.tool, context.operation) == ("kubelet", "pull")


def test_github_actions_buildx_push() -> None:
    assert extract_context(GITHUB_ACTIONS_BUILDX_PUSH) == Context(
        images=(ref("ghcr.io/acme/api:sha-1f2e3d4"), ref("python:3.12-slim")),
        registry=Registry("ghcr.io", "ghcr"),
        tool="buildkit",
        operation="push",
        http_status=403,
        oci_codes=(),
        platform="linux/amd64",
        environments=("github-actions", "ci"),
    )


def test_buildkit_missing_base_image_comes_before_the_ones_that_loaded() -> None:
    context = extract_context(BUILDKIT_BASE_IMAGE_MISSING)
    assert images(BUILDKIT_BASE_IMAGE_MISSING) == [
        "docker.io/library/node:18-alpinex",
        "docker.io/library/node:18-alpine",
    ]
    assert (context.tool, context.operation) == ("buildkit", "pull")


def test_docker_session_with_a_private_registry() -> None:
    host = "registry.internal.example.com:5000"
    context = extract_context(DOCKER_SESSION)
    assert context.images == (ref(f"{host}/platform/base-image:2026.11"),)
    assert context.registry == Registry(host, "self-hosted")
    assert (context.tool, context.operation) == ("docker", "pull")


def test_skopeo_inspect_without_credentials() -> None:
    assert extract_context(SKOPEO_INSPECT_NO_CREDS) == Context(
        images=(ref("127.0.0.1:5002/demo/hello:v1"),),
        registry=Registry("127.0.0.1:5002", "self-hosted"),
        tool="skopeo",
        operation="pull",
    )


def test_skopeo_push_takes_the_tag_from_the_command_line() -> None:
    context = extract_context(SKOPEO_PUSH_NO_CREDS)
    assert context.images == (ref("127.0.0.1:5002/demo/hello:v2"),)
    assert (context.tool, context.operation) == ("skopeo", "push")


def test_skopeo_push_message_alone_names_the_repository() -> None:
    fatal = SKOPEO_PUSH_NO_CREDS.splitlines()[-1]
    context = extract_context(fatal)
    assert context.images == (ImageReference("127.0.0.1:5002", "demo/hello"),)
    assert context.operation == "push"


def test_skopeo_reading_a_digest() -> None:
    context = extract_context(SKOPEO_MISSING_DIGEST)
    assert context.images == (
        ImageReference("127.0.0.1:5001", "demo/hello", None, "sha256:" + "0" * 64),
    )
    assert context.operation == "pull"


def test_skopeo_list_tags_has_a_status_but_no_image() -> None:
    context = extract_context(SKOPEO_LIST_TAGS_404)
    assert context.images == ()
    assert context.registry is None
    assert (context.tool, context.http_status) == ("skopeo", 404)


def test_dns_failure_names_the_registry() -> None:
    context = extract_context(SKOPEO_DNS)
    assert context.images == (ref("registry.invalid:5000/demo/hello:v1"),)
    assert context.registry == Registry("registry.invalid:5000", "self-hosted")


def test_connection_refused() -> None:
    context = extract_context(SKOPEO_CONNECTION_REFUSED)
    assert context.images == (ref("127.0.0.1:5999/demo/hello:v1"),)
    assert context.operation == "pull"
    assert context.http_status is None  # the port is not a status


def test_an_invalid_reference_is_skipped_not_fatal() -> None:
    context = extract_context(SKOPEO_UPPERCASE)
    assert context.images == ()
    assert context.tool == "skopeo"
    mixed = 'Failed to pull image "Nginx:Latest": x\nBack-off pulling image "nginx:1.27"'
    assert images(mixed) == ["docker.io/library/nginx:1.27"]


def test_skopeo_login_failure() -> None:
    context = extract_context(SKOPEO_LOGIN_WRONG_PASSWORD)
    assert context.registry == Registry("127.0.0.1:5002", "self-hosted")
    assert context.operation == "login"
    assert context.images == ()


def test_podman_token_registry_denied() -> None:
    context = extract_context(PODMAN_TOKEN_DENIED)
    assert context.images == (ref("127.0.0.1:5004/demo/hello:v1"),)
    assert (context.tool, context.operation) == ("podman", "pull")


def test_podman_platform_error() -> None:
    context = extract_context(PODMAN_PLATFORM)
    assert context.platform == "linux/arm64"
    assert context.images == (ref("127.0.0.1:5001/demo/hello:multi"),)
    assert context.tool == "podman"


def test_an_unrelated_paste_yields_nothing() -> None:
    chat = "anyone up for lunch at 12? the new place near the office, 401 people said yes"
    assert extract_context(chat) == Context()
    assert extract_context("") == Context()


# --- images -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Back-off pulling image "nginx:1.27"', ["docker.io/library/nginx:1.27"]),
        (
            'msg="PullImage \\"quay.io/org/app:3\\" failed" error="rpc error"',
            ["quay.io/org/app:3"],
        ),
        (
            "Error response from daemon: pull access denied for acme/private, repository does "
            "not exist or may require 'docker login': denied: requested access to the resource "
            "is denied",
            ["docker.io/acme/private:latest"],
        ),
        (
            "Error response from daemon: manifest for ghcr.io/acme/api:9.9 not found: manifest "
            "unknown: manifest unknown",
            ["ghcr.io/acme/api:9.9"],
        ),
        ("Using default tag: latest\nlatest: Pulling from library/nginx\n",
         ["docker.io/library/nginx:latest"]),
        (
            f"sha256:{'a' * 64}: Pulling from library/redis\n",
            [f"docker.io/library/redis@sha256:{'a' * 64}"],
        ),
        ("$ docker pull --platform linux/arm64 alpine:3.20", ["docker.io/library/alpine:3.20"]),
        ("$ podman pull -q --creds u:p quay.io/a/b:1", ["quay.io/a/b:1"]),
        ("+ docker push registry.example.com/team/app:1.2", ["registry.example.com/team/app:1.2"]),
        ("run `docker image pull ghcr.io/a/b:2` please", ["ghcr.io/a/b:2"]),
        ("$ crane pull gcr.io/p/img:1 img.tar", ["gcr.io/p/img:1"]),
        ("$ crane copy ghcr.io/a/b:1 quay.io/a/b:1", ["ghcr.io/a/b:1", "quay.io/a/b:1"]),
        ("$ crane push img.tar ghcr.io/a/b:1", ["ghcr.io/a/b:1"]),
        ("$ skopeo inspect docker://quay.io/a/b:1", ["quay.io/a/b:1"]),
        (
            "$ skopeo copy docker://docker.io/library/alpine:3 docker://localhost:5000/alpine:3",
            ["docker.io/library/alpine:3", "localhost:5000/alpine:3"],
        ),
        ("Trying to pull quay.io/podman/hello:latest...", ["quay.io/podman/hello:latest"]),
        (
            "$ helm pull oci://registry-1.docker.io/bitnamicharts/nginx --version 15.0.0",
            ["docker.io/bitnamicharts/nginx:15.0.0"],
        ),
        ("Pulled: ghcr.io/acme/charts/app:1.2.3", ["ghcr.io/acme/charts/app:1.2.3"]),
        ("spec:\n  containers:\n  - name: web\n    image: \"ghcr.io/acme/web:3\"\n",
         ["ghcr.io/acme/web:3"]),
        ("    Image:          busybox:1.36\n", ["docker.io/library/busybox:1.36"]),
        (
            "docker: Error response from daemon: image with reference nginx:latest was found but "
            "does not match the specified platform: wanted linux/arm64, actual: linux/amd64.",
            ["docker.io/library/nginx:latest"],
        ),
        ("Unable to find image 'hello-world:latest' locally",
         ["docker.io/library/hello-world:latest"]),
        (
            'Error: short-name "nginx" did not resolve to an alias and no unqualified-search '
            'registries are defined in "/etc/containers/registries.conf"',
            ["docker.io/library/nginx:latest"],
        ),
        (
            "error checking push permissions -- make sure you entered the correct tag name: "
            'checking push permission for "gcr.io/proj/app:latest": POST '
            "https://gcr.io/v2/proj/app/blobs/uploads/: UNAUTHORIZED: You don't have the needed "
            "permissions",
            ["gcr.io/proj/app:latest"],
        ),
        ("pulling from [::1]:5000: Get \"https://[::1]:5000/v2/\": docker://[::1]:5000/a/b:c",
         ["[::1]:5000/a/b:c"]),
    ],
)
def test_image_extractors(text: str, expected: list[str]) -> None:
    assert images(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        'Error parsing manifest for image: choosing image instance: no image found in image '
        'index for architecture arm64, variant "", OS linux',
        "the field image: nginx is wrong",  # `image:` is a field only at the start of a line
        "see https://docs.docker.com/go/rate-limit/ and github.com/containerd/containerd/remotes",
        "github.com/containerd/containerd/remotes/docker/resolver.go:123",
        "allowed networks: 10.0.0.0/8, 192.168.0.0/16",
        "files under /var/lib/containerd/io.containerd.content.v1.content/blobs/sha256",
        "$ docker ps -a\n$ docker run --rm -it busybox sh",  # not commands we read images from
    ],
)
def test_urls_paths_and_other_commands_are_not_images(text: str) -> None:
    assert images(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Error response from daemon: Head "https://ghcr.io/v2/acme/api/manifests/1.0": denied',
         "ghcr.io/acme/api:1.0"),
        ("GET https://index.docker.io/v2/library/nginx/manifests/nope: MANIFEST_UNKNOWN",
         "docker.io/library/nginx:nope"),
        ("HEAD https://r.example.com:5000/v2/a/b/manifests/sha256:" + "0" * 64 + ": 401",
         "r.example.com:5000/a/b@sha256:" + "0" * 64),
    ],
)
def test_a_registry_manifest_url_names_the_image(text: str, expected: str) -> None:
    assert images(text) == [expected]


def test_a_bare_host_qualified_reference_is_found_when_nothing_else_is() -> None:
    assert images("ghcr.io/acme/billing:1.2") == ["ghcr.io/acme/billing:1.2"]
    assert images("is it (quay.io/org/thing:v3)? or 'localhost:5000/x'") == [
        "quay.io/org/thing:v3",
        "localhost:5000/x:latest",
    ]
    # a precise extractor wins over bare tokens: they are then ignored
    text = "quay.io/org/thing:v3\nError response from daemon: manifest for nginx:1 not found"
    assert images(text) == ["docker.io/library/nginx:1"]


def test_images_are_deduplicated_after_normalisation() -> None:
    text = (
        'Failed to pull image "nginx": failed to pull and unpack image '
        '"docker.io/library/nginx:latest": not found\n'
        'Back-off pulling image "index.docker.io/library/nginx"'
    )
    assert images(text) == ["docker.io/library/nginx:latest"]


def test_error_line_images_come_before_context_images() -> None:
    text = (
        "$ docker pull alpine:3.20\n"
        "$ docker pull ghcr.io/acme/api:2\n"
        "Error response from daemon: manifest for ghcr.io/acme/api:2 not found"
    )
    assert images(text) == ["ghcr.io/acme/api:2", "docker.io/library/alpine:3.20"]


def test_repository_without_tag_takes_the_tag_seen_elsewhere() -> None:
    text = (
        "$ docker push registry.example.com/team/app:1.4\n"
        "The push refers to repository [registry.example.com/team/app]\n"
        "5f70bf18a086: Preparing\n"
        "denied: requested access to the resource is denied"
    )
    assert images(text) == ["registry.example.com/team/app:1.4"]
    assert images(text.split("\n", 1)[1]) == ["registry.example.com/team/app:latest"]
    assert extract_context(text.split("\n", 1)[1]).images[0].tag is None


def test_pulling_from_uses_the_registry_the_paste_names() -> None:
    text = (
        "v1: Pulling from team/app\n"
        'Error response from daemon: Head "https://registry.example.com/v2/team/app/manifests/v1"'
        ": unauthorized"
    )
    assert images(text) == ["registry.example.com/team/app:v1"]


# --- registry ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "host", "family"),
    [
        ('Get "https://ghcr.io/v2/": denied', "ghcr.io", "ghcr"),
        ("Head \"https://registry-1.docker.io/v2/library/x/manifests/1\": EOF", "docker.io",
         "dockerhub"),
        ("GET https://europe-west1-docker.pkg.dev/v2/p/r/i/manifests/1: DENIED",
         "europe-west1-docker.pkg.dev", "gar"),
        ("pinging container registry Quay.IO: x509", "quay.io", "quay"),
        ("dial tcp: lookup harbor.corp.example.com on 10.0.0.2:53: no such host",
         "harbor.corp.example.com", "harbor"),
        ("dial tcp: lookup nexus.internal: Temporary failure in name resolution",
         "nexus.internal", "nexus"),
        ("$ docker login acme.azurecr.io -u x --password-stdin\nError: unauthorized",
         "acme.azurecr.io", "acr"),
        ("$ docker login\nError response from daemon: unauthorized: incorrect username",
         "docker.io", "dockerhub"),
        ("$ helm registry login registry.gitlab.com\nError: 401", "registry.gitlab.com", "gitlab"),
        ("login attempt to https://my.jfrog.io/v2/ failed with status: 401 Unauthorized",
         "my.jfrog.io", "artifactory"),
        ("error: registry.example.com/v2/ returned 500", "registry.example.com", "self-hosted"),
        ('Www-Authenticate: Bearer realm="https://auth.docker.io/token",service="registry.docker.io"',
         "docker.io", "dockerhub"),
        ("failed to fetch anonymous token: unexpected status from GET request to "
         "https://gitlab.com/jwt/auth?scope=repository: 403 Forbidden",
         "registry.gitlab.com", "gitlab"),
        ("Error response from daemon: toomanyrequests: You have reached your pull rate limit.",
         "docker.io", "dockerhub"),
        ("Get \"https://[::1]:5000/v2/\": http: server gave HTTP response to HTTPS client",
         "[::1]:5000", "self-hosted"),
        ("writing blob: initiating layer upload to /v2/demo/hello/blobs/uploads/ in "
         "127.0.0.1:5002: unauthorized", "127.0.0.1:5002", "self-hosted"),
    ],
)
def test_registry_from_hosts_the_paste_names(
    text: str, host: str, family: RegistryFamily
) -> None:
    assert extract_context(text).registry == Registry(host, family)


def test_the_first_image_decides_the_registry() -> None:
    text = (
        'Failed to pull image "ghcr.io/acme/api:1": failed to do request: Head '
        '"https://mirror.example.com/v2/acme/api/manifests/1": EOF'
    )
    assert extract_context(text).registry == Registry("ghcr.io", "ghcr")


def test_a_path_v2_is_not_a_registry() -> None:
    assert extract_context("see https://example.com/docs/v2/ and /srv/v2/x").registry is None


# --- tool -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("Warning  Failed  kubelet  Error: ImagePullBackOff", "kubelet"),
        (KUBELET_NOT_FOUND, "kubelet"),  # kubelet over the containerd text it carries
        ("ERROR: failed to solve: process did not complete", "buildkit"),
        ("#12 ERROR: failed to push x", "buildkit"),
        ("$ docker buildx build --push .", "buildkit"),
        ("INFO[0001] Retrieving image manifest\n/kaniko/executor --destination x", "kaniko"),
        ("[ERROR] Failed to execute goal com.google.cloud.tools:jib-maven-plugin:3.4.0:build",
         "jib"),
        ("Error: INSTALLATION FAILED: failed to authorize", "helm"),
        ("$ helm pull oci://ghcr.io/a/charts/b", "helm"),
        ("Error: fetching manifest nginx:nope: GET https://index.docker.io/v2/", "crane"),
        ("$ oras pull localhost:5000/hello:v1\nError: not found", "oras"),
        (SKOPEO_INSPECT_NO_CREDS, "skopeo"),
        ("$ buildah push localhost/app docker://quay.io/a/app:1", "buildah"),
        (PODMAN_TOKEN_DENIED, "podman"),
        ('E1127 remote_image.go:171] "PullImage from image service failed" err="rpc error"',
         "kubelet"),
        ("$ nerdctl pull ghcr.io/a/b:1\nFATA[0000] failed to resolve reference", "nerdctl"),
        ("Error response from daemon: manifest unknown", "docker"),
        ("failed to resolve reference \"docker.io/library/x:1\": not found", "containerd"),
        ("ctr: failed to copy: httpReadSeeker: failed open: not found", "containerd"),
        ("##[error]Process completed with exit code 1.", "github-actions"),
        ("Running with gitlab-runner 16.5.0\nERROR: Job failed: exit code 1", "gitlab-ci"),
        (
            "Running with gitlab-runner 16.5.0\nERROR: Job failed: failed to pull image "
            '"registry.gitlab.com/g/img:1" with specified policies [always]: Error response '
            "from daemon: unauthorized",
            "docker",
        ),
    ],
)
def test_tool(text: str, tool: str) -> None:
    assert extract_context(text).tool == tool


@pytest.mark.parametrize(
    "text",
    [
        "the build failed yesterday",
        "docker-credential-desktop: executable file not found in $PATH",  # not docker itself
        "see github.com/containerd/containerd/remotes/docker/resolver.go",
        "k8s.io/kubernetes/pkg/kubelet/images/image_manager.go:123",
        "the helmet, the cranes and the podmanager",  # words that only contain a name
    ],
)
def test_no_tool_when_unsure(text: str) -> None:
    assert extract_context(text).tool is None


# --- operation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "operation"),
    [
        ("$ docker push ghcr.io/a/b:1\nunauthorized: authentication required", "push"),
        ("The push refers to repository [docker.io/a/b]\ndenied: requested access", "push"),
        (SKOPEO_PUSH_NO_CREDS, "push"),
        ("Error: writing blob: initiating layer upload to /v2/x/blobs/uploads/ in h: denied",
         "push"),
        ("blob upload unknown: blob upload unknown to registry", "push"),
        (
            "$ docker login registry.example.com\nError response from daemon: Get "
            '"https://registry.example.com/v2/": unauthorized: incorrect username or password',
            "login",
        ),
        ("Error saving credentials: error storing credentials - err: exit status 1", "login"),
        ("$ docker login ghcr.io\nLogin Succeeded\n$ docker push ghcr.io/a/b:1\ndenied", "push"),
        ("$ docker login ghcr.io\nLogin Succeeded\n$ docker pull ghcr.io/a/b:1\n"
         "Error response from daemon: manifest unknown", "pull"),
        ("Warning  Failed  kubelet  Error: ErrImagePull", "pull"),
        ("Warning  Failed  kubelet  Error: InvalidImageName", "pull"),  # kubelet only pulls
        (KUBELET_DESCRIBE, "pull"),
        (SKOPEO_INSPECT_NO_CREDS, "pull"),
        ("toomanyrequests: You have reached your pull rate limit.", "pull"),
        ('Error response from daemon: Head "https://h.io/v2/a/manifests/1": denied', "pull"),
        ("unexpected status from PUT request to https://h.io/v2/a/manifests/1: 403", "push"),
        # a later failing push beats the pull of the base image
        (GITHUB_ACTIONS_BUILDX_PUSH, "push"),
        ("$ helm install web oci://ghcr.io/a/charts/web", "pull"),
    ],
)
def test_operation(text: str, operation: str) -> None:
    assert extract_context(text).operation == operation


def test_no_operation_when_unsure() -> None:
    assert extract_context(SKOPEO_LIST_TAGS_404).operation is None
    assert extract_context('Get "https://ghcr.io/v2/": x509: certificate').operation is None


# --- HTTP status ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("unauthorized: 401 Unauthorized", 401),
        ("response status code 403: denied: permission denied", 403),
        ("unexpected status code 429 Too Many Requests", 429),
        ("invalid status code from registry 404 (Not Found)", 404),
        ("received unexpected HTTP status: 500 Internal Server Error", 500),
        ("error parsing HTTP 502 response body: invalid character '<'", 502),
        ("< HTTP/1.1 200 OK\n< HTTP/1.1 401 Unauthorized", 401),
        ("< HTTP/2 404", 404),
        ("StatusCode: 403, RequestID: 8f1b", 403),
        ("failed with status: 413 Request Entity Too Large", 413),
        ("503 Service Unavailable, later 401 Unauthorized", 503),
        ("proxyconnect tcp: 407 Proxy Authentication Required", 407),
        ("unexpected status: 401 unauthorized", 401),
    ],
)
def test_http_status(text: str, status: int) -> None:
    assert extract_context(text).http_status == status


@pytest.mark.parametrize(
    "text",
    [
        "podman exited: exit status 125",
        "dial tcp 10.0.0.1:443: i/o timeout",
        "Copying blob 401 MB / 500 MB",
        "took 404ms, size: 4096",
        "HTTP/1.1 200 OK",
        "status code 302 Found",
        "listening on :5000, pid 4031",
        "sha256:401403404 and v1.404.2",
    ],
)
def test_numbers_that_are_not_a_failure_status(text: str) -> None:
    assert extract_context(text).http_status is None


# --- OCI error codes --------------------------------------------------------------------------


def test_oci_codes_from_tokens_and_json_in_order_without_repeats() -> None:
    text = (
        "GET https://h.io/v2/a/manifests/1: MANIFEST_UNKNOWN: manifest unknown; "
        '{"errors":[{"code":"DENIED","message":"x"},{"code":"MANIFEST_UNKNOWN"}]} '
        "TOOMANYREQUESTS: slow down"
    )
    assert extract_context(text).oci_codes == ("MANIFEST_UNKNOWN", "DENIED", "TOOMANYREQUESTS")


@pytest.mark.parametrize("code", OCI_ERROR_CODES)
def test_every_spec_code_is_found(code: str) -> None:
    assert extract_context(f'{{"errors":[{{"code":"{code}"}}]}}').oci_codes == (code,)


@pytest.mark.parametrize(
    "text",
    [
        "manifest unknown: manifest unknown",  # lower case is prose, not a code
        "toomanyrequests: You have reached your pull rate limit",
        "PERMISSION_DENIED: Permission denied on resource",  # a gRPC code, not DENIED
        "MANIFEST_UNKNOWNS and XDENIED",
    ],
)
def test_not_oci_codes(text: str) -> None:
    assert extract_context(text).oci_codes == ()


def test_a_longer_code_is_not_read_as_the_shorter_one() -> None:
    assert extract_context("MANIFEST_BLOB_UNKNOWN: x").oci_codes == ("MANIFEST_BLOB_UNKNOWN",)
    assert extract_context("BLOB_UPLOAD_INVALID: x").oci_codes == ("BLOB_UPLOAD_INVALID",)


# --- platform ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        ("no matching manifest for linux/arm64/v8 in the manifest list entries", "linux/arm64/v8"),
        ("no matching manifest for windows/amd64 10.0.17763 in the manifest list entries",
         "windows/amd64"),
        ("$ docker pull --platform linux/arm64 alpine", "linux/arm64"),
        ("$ docker buildx build --platform=linux/amd64,linux/arm64 .", "linux/amd64"),
        ('no image found in image index for architecture arm64, variant "", OS linux',
         "linux/arm64"),
        ('no image found in manifest list for architecture arm, variant "v7", OS linux',
         "linux/arm/v7"),
        ('msg="... for architecture amd64, variant \\"\\", OS windows"', "windows/amd64"),
        ("was found but does not match the specified platform: wanted linux/arm64, actual: "
         "linux/amd64", "linux/arm64"),
        ("WARNING: image platform ({amd64 linux  [] }) does not match the expected platform "
         "({arm64 linux  [] v8})", "linux/arm64/v8"),
        # the error says what was wanted even when a flag comes first
        ("$ docker pull --platform linux/ppc64le x\nno matching manifest for linux/s390x in the "
         "manifest list entries", "linux/s390x"),
    ],
)
def test_platform(text: str, platform: str) -> None:
    assert extract_context(text).platform == platform


def test_no_platform() -> None:
    assert extract_context("no match for platform in manifest: not found").platform is None
    assert extract_context("linux/amd64 is what we run").platform is None


# --- real skopeo against a real registry ------------------------------------------------------


def _paste(*args: str) -> str:
    """What a user pastes: the command line and what skopeo printed."""
    result = skopeo(*args, timeout=10)
    assert not result.ok, result.stderr
    return f"$ skopeo {' '.join(args)}\n{result.stderr}"


@pytest.mark.integration
def test_real_skopeo_pull_without_credentials(registry: Registries) -> None:
    basic = registry.basic
    paste = _paste("inspect", *basic.skopeo_flags(creds=False),
                   f"docker://{basic.image()}")
    context = extract_context(paste)
    assert context.images == (ref(basic.image()),)
    assert context.registry == Registry(basic.host, "self-hosted")
    assert (context.tool, context.operation) == ("skopeo", "pull")


@pytest.mark.integration
def test_real_skopeo_push_without_credentials(registry: Registries) -> None:
    basic = registry.basic
    destination = basic.image("demo/pushed:v9")
    paste = _paste(
        "copy", *basic.skopeo_flags("dest", creds=False),
        f"oci:{registry.layout.path}:v1", f"docker://{destination}",
    )
    context = extract_context(paste)
    assert context.images == (ref(destination),)
    assert (context.tool, context.operation) == ("skopeo", "push")


@pytest.mark.integration
def test_real_skopeo_missing_tag_and_wrong_platform(registry: Registries) -> None:
    plain = registry.plain
    missing = _paste("inspect", *plain.skopeo_flags(), f"docker://{plain.image('demo/hello:nope')}")
    assert extract_context(missing).images == (ref(plain.image("demo/hello:nope")),)
    wrong = _paste(
        "--override-arch", "arm64", "inspect", *plain.skopeo_flags(),
        f"docker://{plain.image('demo/hello:multi')}",
    )
    context = extract_context(wrong)
    assert context.platform == "linux/arm64"
    assert context.images == (ref(plain.image("demo/hello:multi")),)
    assert (context.tool, context.operation) == ("skopeo", "pull")


@pytest.mark.integration
def test_real_skopeo_token_registry_denies_anonymous_pull(registry: Registries) -> None:
    token = registry.token
    paste = _paste("inspect", *token.skopeo_flags(creds=False),
                   f"docker://{token.image()}")
    context = extract_context(paste)
    assert context.images == (ref(token.image()),)
    assert context.registry == Registry(token.host, "self-hosted")
    assert context.operation == "pull"


def test_extraction_after_read_paste_strips_ci_and_slack_layers() -> None:
    from knowledge.paste import read_paste

    raw = (
        "```\n"
        "2026-11-27T17:00:01.1234567Z ##[group]Run docker/login-action@v3\n"
        '2026-11-27T17:00:02.1234567Z ##[error]Error response from daemon: Get "https://ghcr.io'
        '/v2/": denied: denied\n'
        "2026-11-27T17:00:03.1234567Z ##[error]Process completed with exit code 1.\n"
        "```"
    )
    context = extract_context(read_paste(raw).text)
    assert context.registry == Registry("ghcr.io", "ghcr")
    assert (context.tool, context.operation) == ("docker", "login")


@pytest.mark.parametrize("text", [
    '"HTTP/1.1 401 Unauthorized" from https://api.example.com/search',
    "the TCP/IP stack refused it",
])
def test_an_upper_case_word_before_a_slash_in_prose_is_not_an_image(text: str) -> None:
    assert extract_context(text).images == ()


@pytest.mark.parametrize(
    ("paste", "environments"),
    [
        ('Warning  Failed  kubelet  Failed to pull image "ghcr.io/a/b:1": 401', ("kubernetes",)),
        ("##[error]buildx failed with: ERROR: denied", ("github-actions", "ci")),
        ("Using docker executor with image docker:24\nERROR: Job failed: exit code 1",
         ("gitlab-ci", "ci")),
        ("Get https://registry-1.docker.io/v2/: proxyconnect tcp: dial tcp 192.168.65.1:3128: "
         "connect: connection refused", ("docker-desktop",)),
        ("Error: writing blob: creating file in /run/user/1000/containers: permission denied",
         ("rootless-podman",)),
        ("Error response from daemon: Get https://ghcr.io/v2/: unauthorized", ()),
    ],
)
def test_environment_of_the_paste(paste: str, environments: tuple[str, ...]) -> None:
    assert extract_context(paste).environments == environments


def test_values_for_the_guide_come_from_the_paste() -> None:
    context = extract_context(
        "Error response from daemon: Get \"https://registry-1.docker.io/v2/\": proxyconnect "
        "tcp: dial tcp 127.0.0.1:7890: connect: connection refused\n"
        "error getting credentials - err: exec: \"docker-credential-osxkeychain\": executable "
        "file not found in $PATH, out: ``")
    assert context.proxy == "127.0.0.1:7890"
    assert context.credential_helper == "docker-credential-osxkeychain"


def test_a_redacted_ecr_host_still_names_ecr_but_no_region() -> None:
    context = extract_context(
        "Error response from daemon: Head \"https://XXXXXXXXXXXX.dkr.ecr.ap-XXXX.amazonaws.com"
        "/v2/app/manifests/1.0\": no basic auth credentials")
    assert context.registry is not None
    assert context.registry.family == "ecr"
    assert context.region is None
    assert extract_context("aws ecr get-login-password --region eu-central-1 | docker login "
                           "--username AWS --password-stdin redacted.dkr.ecr.eu-central-1."
                           "amazonaws.com\nError: Signature expired").region == "eu-central-1"


def test_the_legacy_v1_api_names_the_registry() -> None:
    context = extract_context("Error response from daemon: Get https://registry.corp.example:5000"
                              "/v1/_ping: http: server gave HTTP response to HTTPS client")
    assert context.registry == Registry("registry.corp.example:5000", "self-hosted")


def test_old_docker_s_trying_to_pull_repository_names_the_image() -> None:
    assert images("Trying to pull repository gcr.io/android-battery-historian/stable ... \n"
                  "denied: Permission denied") == ["gcr.io/android-battery-historian/stable:latest"]


@pytest.mark.parametrize(("paste", "repository"), [
    ("Error: writing blob: initiating layer upload to /v2/tuna-os/flounder-sid/blobs/uploads/ "
     "in ghcr.io: denied: permission_denied: write_package", "tuna-os/flounder-sid"),
    ('level=error msg="response completed with error" err.code="manifest unknown" '
     'http.request.host="localhost:5001" http.request.method=HEAD '
     'http.request.uri="/v2/test/0test100/manifests/sha256:52ca"', "test/0test100"),
])
def test_a_repository_named_without_a_tag_fills_the_guide(paste: str, repository: str) -> None:
    context = extract_context(paste)
    assert context.images == ()  # no tag: no image is made up
    assert context.repository == repository
    diagnosis = diagnose(paste)
    assert diagnosis.guide is not None
    answer = render_terminal(diagnosis, full=True)
    assert repository in answer
    assert "<repository>" not in answer


def test_a_repository_of_an_image_is_not_repeated_apart() -> None:
    assert extract_context('Head "https://ghcr.io/v2/a/b/manifests/1": denied').repository is None
