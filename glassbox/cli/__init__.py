"""The ``glassbox`` command line: ``train``, ``evaluate``, ``summary`` (see ``glassbox --help``)."""
