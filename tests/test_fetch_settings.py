"""Settings: one typed object, overridden by file, then environment, then explicit options."""

import pytest

from extractor.errors import InputError
from extractor.settings import Settings, load_settings


def test_defaults_are_the_documented_safe_ones():
    s = Settings()
    assert s.max_bytes == 10_000_000
    assert s.allow_private is False
    assert s.respect_robots is True
    assert s.user_agent.startswith("newsclaims/")


def test_settings_are_frozen():
    with pytest.raises(ValueError):
        Settings().max_bytes = 5  # type: ignore[misc]


def test_layers_override_only_their_own_keys(tmp_path):
    path = tmp_path / "limits.toml"
    path.write_text("max_bytes = 5_000_000\nper_host_delay = 2.5\n")
    env = {"NEWSCLAIMS_PER_HOST_DELAY": "0.5", "NEWSCLAIMS_READ_TIMEOUT": "7"}
    s = load_settings(path, env=env, read_timeout=3.0, max_redirects=None)
    assert s.max_bytes == 5_000_000  # file
    assert s.per_host_delay == 0.5  # environment beats file
    assert s.read_timeout == 3.0  # option beats environment
    assert s.max_redirects == Settings().max_redirects  # None means "not given"
    assert Settings().max_bytes == 10_000_000  # the defaults are untouched


def test_section_table_is_read(tmp_path):
    path = tmp_path / "limits.toml"
    path.write_text("[newsclaims]\nallow_private = true\n")
    assert load_settings(path, env={}).allow_private is True


@pytest.mark.parametrize(
    ("content", "env", "needle"),
    [
        ("max_bytez = 5\n", {}, "max_bytez"),
        ("max_bytes = -1\n", {}, "max_bytes"),
        ("max_bytes = \n", {}, "not a valid TOML"),
        ("", {"NEWSCLAIMS_READ_TIMEOUT": "soon"}, "read_timeout"),
    ],
    ids=["unknown-key", "negative", "bad-toml", "bad-env"],
)
def test_bad_settings_name_the_key(tmp_path, content, env, needle):
    path = tmp_path / "limits.toml"
    path.write_text(content)
    with pytest.raises(InputError) as info:
        load_settings(path, env=env)
    assert needle in str(info.value)


def test_missing_settings_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_settings(tmp_path / "nope.toml", env={})
