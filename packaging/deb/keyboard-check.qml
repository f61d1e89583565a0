// make deb-test: does Qt's on-screen keyboard come up under cage? Under Wayland Qt
// warns that qtvirtualkeyboard is "not supported at client-side"; this focuses a
// text field and prints whether the InputPanel (as in ui/qml/Kiosk.qml) is active.
import QtQuick
import QtQuick.Window
import QtQuick.VirtualKeyboard

Window {
    visible: true
    width: 600
    height: 800
    TextInput { id: field; width: 200; height: 40 }
    InputPanel { id: panel; y: parent.height - height; width: parent.width }
    Timer {
        interval: 1500; running: true
        onTriggered: { field.forceActiveFocus(); Qt.inputMethod.show(); verdict.start() }
    }
    Timer {
        id: verdict; interval: 1500
        onTriggered: { console.log("keyboard-check: panel active=" + panel.active); Qt.quit() }
    }
}
