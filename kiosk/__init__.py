"""Village government-service terminal (办事不出村自助终端).

Core package: no Kivy imports here or in any core module; screens live in kiosk.screens.
"""

__version__ = "0.1.0"
