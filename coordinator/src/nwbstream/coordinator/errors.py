"""The one error a conversion reports: it names the file or the field, and the CLI prints it as it is."""


class ConversionError(Exception):
    """A conversion that cannot go on: bad input, bad metadata, a service that failed."""


class ServiceUnavailable(ConversionError):
    """A service could not be reached or stopped answering: worth trying again later, unlike bad input."""
