"""The township back office (乡镇后台): intake of sealed bundles, case states, decisions back to kiosks.

An optional extra (`pip install .[backoffice]`): a terminal's install never imports this package.
"""
