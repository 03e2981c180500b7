"""tlcrawl: archive and query the Team Liquid forums."""
