"""The flow layer (Kivy-free): the transaction state machine and the device service.

Screens, tests and `--headless` runs drive the same FlowController; device I/O runs on worker
threads and comes back as events on the bus, drained on the caller's (UI) thread.
"""
