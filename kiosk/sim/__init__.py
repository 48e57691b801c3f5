"""Device simulators that speak the real wire protocols on pseudo-terminals.

The drivers in kiosk.devices cannot tell them from hardware; tests, the demo and `kiosk sim` use them.
"""
