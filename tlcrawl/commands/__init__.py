"""Project commands (COMMANDS_MODULE): `crawl` exits with the crawl's verdict."""
