"""The AWS layer: sessions and clients (:mod:`.session`), the read calls (:mod:`.services`) and the collector
(:mod:`.collect`). The only module here that writes to AWS is the GuardDuty migration executor."""
