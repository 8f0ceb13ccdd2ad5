"""Text the editor's JavaScript shows, translated on the server (one message catalogue).
Placeholders are ``%(name)s``, filled in by the script."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def survey_strings() -> dict[str, str]:
    """Strings of the survey editor's scripts in the active language."""
    strings = {
        # connection, queue, saving
        "online": _("Online"),
        "offline": _("Offline"),
        "syncing": _("Syncing…"),
        "pendingLabel": _("%(count)s edits to sync, %(problems)s need your decision"),
        "saving": _("Saving…"),
        "saved": _("Saved: %(id)s, version %(version)s."),
        "savedOffline": _("Saved on this device. It will be sent when the connection returns."),
        "synced": _("%(count)s edits synced."),
        "nothingToSync": _("Nothing to sync."),
        "offlineWait": _("No connection: the edits wait on this device."),
        "refused": _("The server refused an edit: %(detail)s"),
        "requestFailed": _("The request failed (status %(status)s)."),
        "sessionExpired": _(
            "Your session has expired. Log in again to sync; your edits are kept on this device."
        ),
        "storageFailed": _(
            "This browser cannot store edits on the device (private mode?). "
            "Edits need a connection."
        ),
        "fixErrors": _("The edit was not saved: correct the marked fields."),
        "commentRequired": _("A changeset comment is required: say what you changed and why."),
        "nothingChanged": _("Nothing was changed."),
        "retired": _("Retired %(id)s."),
        "queueEmpty": _("No edits are waiting."),
        "kind_create": _("New component"),
        "kind_update": _("Change"),
        "kind_retire": _("Retirement"),
        "kind_photo": _("Photo"),
        "state_pending": _("waiting to be sent"),
        "state_conflict": _("changed by someone else: choose"),
        "state_error": _("refused by the server"),
        "local_new": _("new, not yet synced"),
        "local_changed": _("changed, not yet synced"),
        "local_conflict": _("conflict"),
        "local_error": _("refused"),
        "resolve": _("Choose theirs or yours"),
        "correct": _("Correct"),
        "discard": _("Discard"),
        "discardConfirm": _("Discard this edit? It cannot be recovered."),
        "waitingEdits": _("%(count)s edits of this component are waiting to be synced."),
        # map and list
        "zoomIn": _("Zoom in to see and edit components."),
        "noneYet": _(
            "No component of the classes you survey is recorded in your area yet. Zoom in "
            "where you work to add the first."
        ),
        "loadFailed": _("No connection: showing the components saved on this device."),
        "moreInView": _("Showing the first %(count)s components; zoom in for the rest."),
        "noneInView": _("No components of your classes here."),
        "moreInList": _("%(count)s more; zoom in to list them."),
        "notSynced": _("not yet synced"),
        "noClasses": _("You have no component classes to survey."),
        "addHint": _("%(geometry)s; GNSS accuracy needed: ≤ %(threshold)s m."),
        "geometry_point": _("Point"),
        "geometry_line": _("Line"),
        "geometry_polygon": _("Polygon"),
        # details
        "identifier": _("Identifier"),
        "klass": _("Class"),
        "condition": _("Condition"),
        "address": _("Address"),
        "gnss": _("GNSS"),
        "dataSource": _("Data source"),
        "review": _("Needs review"),
        "version": _("Version"),
        "updated": _("Last changed"),
        "photoAlt": _("Photo of the component"),
        "yes": _("yes"),
        "no": _("no"),
        # drawing
        "newOf": _("New: %(name)s"),
        "editOf": _("Edit: %(name)s"),
        "drawHelp_point": _(
            "Tap the map where it is, place it at the centre cross, or use the GPS position."
        ),
        "drawHelp_line": _(
            "Tap the map for each vertex, or add vertices at the centre cross or from GPS; "
            "then Finish."
        ),
        "drawHelp_polygon": _(
            "Tap the map for each corner, or add corners at the centre cross or from GPS; "
            "then Finish."
        ),
        "placeCentre": _("Place at the centre cross"),
        "addVertexCentre": _("Add a vertex at the centre cross"),
        "vertexAdded": _("Vertex added from GPS (±%(accuracy)s m)."),
        "useGpsAccuracy": _("Use GPS position (±%(value)s m)"),
        "drawStart": _("Click to start drawing."),
        "drawCont": _("Click to continue drawing."),
        "drawEnd": _("Click the last point to finish."),
        "polygonEnd": _("Click the first point to close the shape."),
        "drawError": _("Edges must not cross."),
        "editText": _("Drag the square handles to move vertices."),
        "dragMarker": _("Position (drag to move)"),
        "geomHelpPoint": _(
            "Drag the marker, move it to the centre cross, or use the GPS position."
        ),
        "geomHelpShape": _("Drag the square handles to move vertices."),
        "vertices": _("%(count)s vertices"),
        # GNSS
        "startGps": _("Start GPS"),
        "stopGps": _("Stop GPS"),
        "noPosition": _("No position yet"),
        "gpsWaiting": _("Waiting for a GPS position…"),
        "accuracy": _("Accuracy ±%(value)s m"),
        "accuracyShort": _("±%(value)s m"),
        "accuracyOk": _("within the class threshold"),
        "accuracyBad": _("worse than the class threshold: it will be flagged for review"),
        "accuracyUnknown": _("Accuracy unknown: the position will be flagged for review"),
        "threshold": _("This class needs an accuracy of %(value)s m or better."),
        "fixLabel": _("Fix: %(fix)s"),
        "satellites": _("%(count)s satellites"),
        "nmeaOk": _("Receiver %(talker)s: %(sats)s satellites; error estimate (GST): %(gst)s"),
        "nmeaErrors": _("%(count)s lines could not be read (not GGA/GST, or a wrong checksum)."),
        "nmeaNoFix": _("The receiver reports no fix."),
        "gnssStored": _("Stored with the position: %(text)s"),
        "gnssNone": _("No GNSS data: the position is placed by hand."),
        "geoDenied": _("Location permission was refused. Allow it in the browser's settings."),
        "geoUnavailable": _("The location is not available."),
        "geoTimeout": _("No GPS position yet; keep the phone under open sky."),
        "geoUnsupported": _("This browser cannot share its location."),
        # history
        "historyOf": _("History of %(name)s"),
        "historyHead": _("Version %(version)s: %(action)s"),
        "historyEmpty": _("No history."),
        "historyOffline": _("The history needs a connection."),
        "changedFields": _("Changed: %(fields)s"),
        "legend": _("Legend"),
        "legendClass": _("Component class"),
        "changesLabel": _("Changes, old value to new value"),
        "changedTo": _("changed to"),
        "action_create": pgettext("history action", "created"),
        "action_update": pgettext("history action", "changed"),
        "action_retire": pgettext("history action", "retired"),
        "action_delete": pgettext("history action", "deleted"),
        "field_name": pgettext("component field", "Name"),
        "field_address": pgettext("component field", "Address"),
        "field_status": pgettext("component field", "Condition"),
        "field_data_source": pgettext("component field", "Data source"),
        "field_notes": pgettext("component field", "Notes"),
        "field_geometry": pgettext("component field", "Position"),
        "field_attributes": pgettext("component field", "Attributes"),
        "field_gnss": pgettext("component field", "GNSS"),
        "field_currency": pgettext("component field", "In use / retired"),
        "field_change_date": pgettext("component field", "Change date"),
        "field_initial_date": pgettext("component field", "Initial date"),
        "field_needs_review": pgettext("component field", "Needs review"),
        "field_review_reason": pgettext("component field", "Review reason"),
        "field_community": pgettext("component field", "Community"),
        "field_grid_cell": pgettext("component field", "Grid cell"),
        "field_competent_department": pgettext("component field", "Competent department"),
        "field_owner": pgettext("component field", "Owner"),
        "field_maintainer": pgettext("component field", "Maintainer"),
        "field_deleted": pgettext("component field", "Deleted"),
        # conflicts
        "conflictText": _(
            "%(name)s was saved by someone else as version %(version)s at %(time)s. "
            "Keep their values, or apply your changes on top of theirs."
        ),
        "conflictRetire": _(
            "%(name)s was changed by someone else (version %(version)s, %(time)s) after you "
            "decided to retire it."
        ),
        "unchanged": _("(not changed by you)"),
        "keepMine": _("Apply mine on top of theirs"),
        "retireAnyway": _("Retire anyway"),
        "keptTheirs": _("Their version was kept; your change was discarded."),
        "retiredValue": _("retired"),
        "inUseValue": _("in use"),
        # generated forms
        "choose": _("— choose —"),
        "listHint": _("Separate several values with commas."),
        "maxChars": _("at most %(n)s characters"),
        "required": _("This field is required."),
        "notNumber": _("Enter a number."),
        "wholeNumber": _("Enter a whole number."),
        "atLeast": _("Must be at least %(n)s."),
        "moreThan": _("Must be more than %(n)s."),
        "atMost": _("Must be at most %(n)s."),
        "badFormat": _("This value does not have the expected format."),
        "tooMany": _("At most %(n)s values."),
    }
    return strings
