"""stratmap: strategy maps and balanced scorecards for public agencies."""

__version__ = "0.1.0"
