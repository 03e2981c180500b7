"""What a crawl says about itself: checks before it starts (preflight), progress while it runs,
Spidermon monitors and a report when it ends, and the verdict that becomes its exit status."""
