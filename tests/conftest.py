pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.app",
    "tests.fixtures.factories",
    "tests.fixtures.plugins",
    "tests.fixtures.mail",
]
