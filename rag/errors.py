"""One base error; each message names the file or setting at fault and the fix."""


class RagError(Exception):
    """Base of every error the library raises on purpose."""


class SettingsError(RagError):
    """A setting has a bad value or a config file cannot be read."""


class LoaderError(RagError):
    """A corpus file cannot be read (corrupt, encrypted, binary, empty)."""


class FileTimeoutError(LoaderError):
    """Reading one corpus file took longer than `ingest.file_seconds`."""


class StoreError(RagError):
    """The index is damaged or was built with other settings."""


class IndexNotFoundError(StoreError):
    """No index has been built yet."""


class IndexBusyError(StoreError):
    """Another ingest is writing to the same index folder."""


class ModelError(RagError):
    """The embedding model cannot be loaded offline."""


class QuestionError(RagError):
    """The question cannot be asked as given (empty, too long, only punctuation)."""


class FilterError(QuestionError):
    """A report, year or place filter matches no report in the index."""


class GroundingError(RagError):
    """A quote is not verbatim in its document."""
