"""The findings thresholds config: shipped defaults, clinic overrides, clear errors naming the key, hash."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from kneechain.config import ConfigError, config_hash, effective_config_dict, load_config
from kneechain.errors import EXIT_USAGE, KneechainError


def write(tmp_path, text: str, name: str = "clinic.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_ship_with_the_package_and_load():
    assert resources.files("kneechain.config").joinpath("default.toml").is_file()
    config = load_config()
    assert config.files == ("kneechain/config/default.toml",)
    assert config.overridden == ()
    assert len(config.thresholds) >= 15


def test_every_threshold_has_a_value_unit_and_source():
    for key, threshold in load_config().thresholds.items():
        assert threshold.values, key
        assert threshold.unit.strip(), key
        assert len(threshold.source.strip()) > 10, key
        for variant, value in threshold.values.items():
            assert isinstance(value, (int, float)) and not isinstance(value, bool), (key, variant)


def test_defaults_match_their_published_sources():
    config = load_config()
    # Herrington & Munro 2010: drop jump upper limits women 13 deg, men 8 deg; combined = the wider one.
    assert config.value("valgus.fppa_upper_deg", "female") == 13.0
    assert config.value("valgus.fppa_upper_deg", "male") == 8.0
    assert config.value("valgus.fppa_upper_deg", "combined") == 13.0
    assert "Herrington & Munro 2010" in config["valgus.fppa_upper_deg"].source
    # Munro, Herrington & Carolan 2012: smallest detectable difference 7.5-8.9 deg.
    assert 7.5 <= config.value("valgus.fppa_sdd_deg") <= 8.9
    assert "Munro" in config["valgus.fppa_sdd_deg"].source
    assert config.value("pelvis.drop_upper_deg") == 4.0
    # The 10% symmetry-index cut-off comes from a secondary source: it must say so.
    assert config.value("gait.symmetry_index_upper_pct") == 10.0
    assert config["gait.symmetry_index_upper_pct"].verified is False


def test_override_merges_over_the_defaults(tmp_path):
    path = write(tmp_path, '[valgus.fppa_upper_deg]\nfemale = 12\nsource = "clinic norms 2025"\n')
    config = load_config(path)
    assert config.value("valgus.fppa_upper_deg", "female") == 12.0
    assert isinstance(config.value("valgus.fppa_upper_deg", "female"), float)  # int accepted for a float
    assert config.value("valgus.fppa_upper_deg", "male") == 8.0
    assert config["valgus.fppa_upper_deg"].source == "clinic norms 2025"
    assert config["valgus.fppa_upper_deg"].unit == "deg"
    assert config.value("pelvis.drop_upper_deg") == load_config().value("pelvis.drop_upper_deg")
    assert config.files == ("kneechain/config/default.toml", str(path))
    assert set(config.overridden) == {"valgus.fppa_upper_deg.female", "valgus.fppa_upper_deg.source"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[valgus.fppa_uper_deg]\nfemale = 12.0\n",
            "unknown key 'valgus.fppa_uper_deg' (did you mean 'fppa_upper_deg'?)",
        ),
        ("[valgs.fppa_upper_deg]\nfemale = 12.0\n", "unknown key 'valgs' (did you mean 'valgus'?)"),
        (
            "[valgus.fppa_upper_deg]\nfemal = 12.0\n",
            "unknown key 'valgus.fppa_upper_deg.femal' (did you mean 'female'?)",
        ),
        ('[valgus.fppa_upper_deg]\nfemale = "12"\n', "'valgus.fppa_upper_deg.female' must be a number"),
        ("[valgus.fppa_upper_deg]\nfemale = true\n", "'valgus.fppa_upper_deg.female' must be a number"),
        ("[data.min_items]\nreps = 2.5\n", "'data.min_items.reps' must be an integer"),
        ("[valgus]\nfppa_upper_deg = 12.0\n", "'valgus.fppa_upper_deg' must be a table"),
        ('[valgus.fppa_upper_deg]\nunit = "rad"\n', "the unit of 'valgus.fppa_upper_deg' cannot be changed"),
        ("[confidence.strong_call]\nvalue = 1.5\n", "'confidence.strong_call.value' = 1.5 fraction is not"),
        ("[pelvis.drop_upper_deg]\nvalue = -4.0\n", "'pelvis.drop_upper_deg.value' = -4 deg is not"),
        ("[valgus.fppa_upper_deg]\nfemale = 1000\n", "(it must be more than 0 and at most 90)"),
        ("[valgus.fppa_upper_deg]\nmale = 0\n", "'valgus.fppa_upper_deg.male' = 0 deg is not plausible"),
        ("[gait.symmetry_index_upper_pct]\nvalue = 99999999999999999999999999\n", "= 1e+26 % is not"),
        ("[valgus.fppa_lower_deg]\nvalue = -91\n", "(it must be between -90 and 90)"),
        ("[data.min_items]\nreps = 0\n", "(it must be between 1 and 1000)"),
        ("[pelvis.drop_upper_deg]\nvalue = nan\n", "'pelvis.drop_upper_deg.value' must be a finite number"),
    ],
)
def test_bad_keys_and_values_are_errors_naming_the_key(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = raised.value.one_line()
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert isinstance(raised.value, KneechainError)
    assert raised.value.exit_code == EXIT_USAGE


def test_invalid_toml_is_an_error_naming_the_file_and_line(tmp_path):
    path = write(tmp_path, "[valgus.fppa_upper_deg]\nfemale = \n")
    with pytest.raises(ConfigError, match=r"clinic\.toml: not valid TOML .*line 2"):
        load_config(path)


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path / "nope.toml")


def test_hash_is_stable_and_changes_with_a_value(tmp_path):
    default_hash = config_hash(load_config())
    assert len(default_hash) == 12 and int(default_hash, 16) >= 0
    assert config_hash(load_config()) == default_hash
    same = write(tmp_path, "[valgus.fppa_upper_deg]\nfemale = 13.0\n", "same.toml")
    assert config_hash(load_config(same)) == default_hash
    changed = write(tmp_path, "[valgus.fppa_upper_deg]\nfemale = 13.5\n", "changed.toml")
    assert config_hash(load_config(changed)) != default_hash


def test_effective_config_round_trips_as_json(tmp_path):
    path = write(tmp_path, "[pelvis.drop_upper_deg]\nvalue = 5.0\n")
    config = load_config(path)
    saved = json.loads(json.dumps(effective_config_dict(config)))
    assert saved["hash"] == config_hash(config)
    assert saved["overridden"] == ["pelvis.drop_upper_deg.value"]
    entry = saved["thresholds"]["pelvis"]["drop_upper_deg"]
    assert entry["value"] == 5.0 and entry["unit"] == "deg" and "2007" in entry["source"]
    assert set(saved["thresholds"]) == {key.split(".")[0] for key in config.thresholds}
    n_entries = sum(len(entries) for entries in saved["thresholds"].values())
    assert n_entries == len(config.thresholds)
