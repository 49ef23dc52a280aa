import pytest

from gan_helpers import config


def test_pick_follows_fast_mode(monkeypatch):
    monkeypatch.setenv("GAN_FAST", "1")
    assert config.fast_mode() and config.pick(full=100_000, fast=300) == 300
    monkeypatch.setenv("GAN_FAST", "0")
    assert not config.fast_mode() and config.pick(full=100_000, fast=300) == 100_000


def test_artifacts_dir_env_override_creates_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_ARTIFACTS_DIR", str(tmp_path / "drive"))
    path = config.artifacts_dir("01_dense_mnist_gan")
    assert path == tmp_path / "drive" / "01_dense_mnist_gan" and path.is_dir()


def test_artifacts_path_that_is_a_file_is_refused(tmp_path, monkeypatch):
    (tmp_path / "taken").write_text("not a folder")
    monkeypatch.setenv("GAN_ARTIFACTS_DIR", str(tmp_path / "taken"))
    with pytest.raises(ValueError, match="is a file"):
        config.artifacts_dir("run")
    assert (tmp_path / "taken").read_text() == "not a folder"


def test_seed_everything_repeats_draws():
    import keras

    config.seed_everything(7)
    first = keras.random.normal((3,)).numpy()
    config.seed_everything(7)
    assert (keras.random.normal((3,)).numpy() == first).all()


def test_describe_mode_starts_with_the_fast_mode_line_only_in_fast_mode(monkeypatch):
    monkeypatch.setenv("GAN_FAST", "1")
    assert config.describe_mode().startswith(config.FAST_MODE_LINE)
    monkeypatch.setenv("GAN_FAST", "0")
    assert config.describe_mode().startswith("Full mode") and config.FAST_MODE_LINE not in (
        config.describe_mode()
    )
