"""The one settings object: defaults, config file, environment, validation, masking."""

import pytest

from newsdesk.errors import ConfigError
from newsdesk.settings import Settings


def test_defaults_use_sqlite_in_the_data_dir():
    s = Settings.load(env={})
    assert s.effective_database_url == "sqlite:///newsdesk-data/newsdesk.db"
    assert s.allow_private_networks is False


def test_environment_overrides_config_file_which_overrides_defaults(tmp_path):
    cfg = tmp_path / "newsdesk.toml"
    cfg.write_text('port = 9000\nuser_agent = "from-file"\n')
    s = Settings.load(config_file=cfg, env={"NEWSDESK_PORT": "9100"})
    assert s.port == 9100 and s.user_agent == "from-file"


def test_secret_from_file_and_masked_in_describe(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    s = Settings.load(env={"NEWSDESK_LLM_API_KEY_FILE": str(secret),
                           "NEWSDESK_DATABASE_URL": "postgresql://nd:pw@db/news"})
    assert s.llm_api_key == "s3cret"
    shown = dict((name, value) for name, value, _ in s.describe())
    assert shown["llm_api_key"] == "********"
    assert shown["database_url"] == "postgresql://nd:********@db/news"
    assert "s3cret" not in repr(shown) and "pw@" not in repr(shown)


@pytest.mark.parametrize("env, message", [
    ({"NEWSDESK_PORT": "eighty"}, "not a valid int"),
    ({"NEWSDESK_AI_PROVIDER": "magic"}, "not one of"),
    ({"NEWSDESK_FETCH_WORKERS": "0"}, "below the minimum"),
    ({"NEWSDESK_ALLOW_PRIVATE_NETWORKS": "maybe"}, "not a valid bool"),
])
def test_invalid_values_are_clear_errors(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.load(env=env)


def test_unknown_key_in_config_file_is_an_error(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        Settings.load(config_file=cfg, env={})
