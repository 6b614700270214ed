"""gettext catalogs (ru, en), shipped with the code and compiled in memory at start."""
