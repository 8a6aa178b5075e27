"""Typed errors of the clip_lab package: ModelFileError carries the same `code` strings as the
lab's src/io/errors.ts, so a file refused by the page is refused here for the same reason."""


class ClipLabError(Exception):
    """Base class: `code` names the check that failed; the message says expected vs found."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class ModelFileError(ClipLabError):
    """A model file was refused (codes as MODEL_FILE_ERROR_CODES in src/io/errors.ts)."""


class ConfigError(ClipLabError):
    """A TrainConfig that src/config.ts's validateConfig would refuse."""


class DataError(ClipLabError):
    """A dataset folder that cannot be trained on (no images, no captions, too few images)."""
