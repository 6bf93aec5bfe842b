"""Running idmd as a user service: the systemd unit and launchd agent shipped
as package data (``idmd.service``, ``io.idm.idmd.plist``) and the
``idmd service install|uninstall|status`` command that writes and enables them."""
