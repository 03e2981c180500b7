"""`python -m tlcrawl`: the same as the `tlcrawl` command."""

from tlcrawl.cli.main import main

if __name__ == "__main__":
    main()
