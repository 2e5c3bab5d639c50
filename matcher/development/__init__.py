"""社会資源の開拓: the pipeline of 開拓候補 from a gap-report group (or from scratch) to a registered listing,
and the dated log of support given to hosts (訪問, 応援金, 送迎, 同行, 研修)."""
