"""What measures speed (``make bench``); not run as tests. See README "Performance"."""
