"""Fixture plugins shared by every test package; each module starts one kind of service."""

pytest_plugins = [
    "tests.support.probe_servers",
    "tests.support.registry",
    "tests.support.redis_server",
    "tests.support.slack_api",
    "tests.support.package_registries",  # after the plugins it imports, so they are rewritten
]
