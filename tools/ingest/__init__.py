"""Getting data in and judging it: the data-quality report (``quality``)."""
