"""One exception tree for everything a person may need to act on.

Each error has a stable code, a Chinese and an English message (from the message catalog) and a raw
detail for logs and diagnostics. Never put personal data (names, ID numbers) in `detail`.
"""

from __future__ import annotations

from kiosk.i18n import tr


class KioskError(Exception):
    code = "KIOSK_ERROR"

    def __init__(self, code: str | None = None, /, detail: str = "", **params: object) -> None:
        self.code = code or type(self).code
        self.detail = detail
        self.params = params
        super().__init__(str(self))

    def message(self, language: str = "zh_CN") -> str:
        return tr(f"error.{self.code}", language, **self.params)

    def __str__(self) -> str:
        text = f"{self.code}: {self.message('zh_CN')} / {self.message('en')}"
        return f"{text} [{self.detail}]" if self.detail else text


class ConfigError(KioskError):
    code = "CONFIG_INVALID"


class CatalogError(KioskError):
    code = "CATALOG_INVALID"


class DeviceError(KioskError):
    code = "DEVICE_ERROR"


class IdCardError(DeviceError):
    code = "IDCARD_ERROR"


class PrinterError(DeviceError):
    code = "PRINTER_ERROR"


class SignaturePadError(DeviceError):
    code = "SIGPAD_ERROR"


class CameraError(DeviceError):
    code = "CAMERA_ERROR"


class BundleError(KioskError):
    code = "BUNDLE_INVALID"


class UploadError(KioskError):
    """A delivery attempt failed; it will be retried (after `retry_after` seconds if the server said)."""

    code = "UPLOAD_FAILED"

    def __init__(
        self,
        code: str | None = None,
        /,
        detail: str = "",
        retry_after: float | None = None,
        progressed: int = 0,
        **params: object,
    ) -> None:
        self.retry_after = retry_after
        self.progressed = progressed  # bytes the server accepted during the failed attempt
        super().__init__(code, detail=detail, **params)


class UploadRefused(UploadError):
    """The back office refused the bundle for good, or it is damaged here: a technician must look."""

    code = "UPLOAD_REJECTED"


class FlowError(KioskError):
    code = "FLOW_ERROR"


class SyncError(KioskError):
    code = "SYNC_FAILED"


class AgentError(KioskError):
    code = "AGENT_ERROR"
