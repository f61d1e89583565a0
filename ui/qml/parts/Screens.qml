pragma Singleton
import QtQuick

// Which screen component shows which step type.
QtObject {
    readonly property var files: ({
        "home": "HomeScreen.qml",
        "camera": "CameraScreen.qml",
        "maintenance": "MaintenanceScreen.qml",
        "commissioning": "CommissioningScreen.qml",
        "choose": "ChooseScreen.qml",
        "info": "InfoScreen.qml",
        "done": "InfoScreen.qml",
        "confirm": "ConfirmScreen.qml",
        "form": "FormScreen.qml",
        "rate": "RateScreen.qml",
        "pay": "PayScreen.qml",
        "working": "WorkingScreen.qml",
        "read_id_card": "DeviceScreen.qml",
        "read_document_chip": "DeviceScreen.qml",
        "scan_code": "DeviceScreen.qml",
        "scan_document": "ScanScreen.qml",
        "sign": "SignScreen.qml",
        "capture_fingerprints": "DeviceScreen.qml",
        "take_back": "DeviceScreen.qml",
        "dispense_document": "DeviceScreen.qml",
        "capture_photo": "DeviceScreen.qml",
        "verify_face": "DeviceScreen.qml",
        "finder": "FinderScreen.qml"
    })
    function file(screen) {
        return Qt.resolvedUrl("../screens/" + (files[screen] || "InfoScreen.qml"))
    }
    // A number or code kept left to right inside any sentence: in a right-to-left
    // language "138****8000" would otherwise read "8000****138" (the stars take the
    // sentence's direction between the digit runs)
    function ltr(text) {
        return "\u202A" + text + "\u202C"
    }
    // A message's {placeholders} filled in (the catalogue keeps Python's format). A
    // value that is a message itself ({id, values}: a guide light's name and mode on
    // the desk) is put in the screen's language first.
    function fill(text, values) {
        var out = text
        for (var key in values) {
            var value = values[key]
            if (value !== null && typeof value === "object" && value.id !== undefined)
                value = fill(qsTrId(value.id), value.values || {})
            out = out.split("{" + key + "}").join(String(value))
        }
        return out
    }
}
