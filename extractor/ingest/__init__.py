"""Input side: reading sources (files, URLs, feeds, sitemaps), safe fetching and cleaning.

Nothing here parses language; everything here yields `Article`s."""
