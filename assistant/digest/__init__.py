"""The executive digest (周报/月报): content from the application (``build``), the page in
HTML and PDF (``render``), delivery through the notification channels (``send``)."""
