// The kiosk's one window: a header, the current step's screen, the session's
// footer, and the overlays (time running out, help). Every text is a message id
// (qsTrId, through the catalogue); every size comes from the theme.
import QtQuick
import QtQuick.Window
import QtQuick.VirtualKeyboard
import QtQuick.VirtualKeyboard.Settings
import "parts"
import "screens"

Window {
    id: window
    required property var shell
    readonly property var theme: shell.style
    title: qsTrId("ui.app.title")
    color: theme.paper
    visible: true
    // a language written right to left (Uyghur) mirrors every screen; the keypad
    // and numbers stay left to right (Keypad.qml)
    LayoutMirroring.enabled: window.shell.rightToLeft
    LayoutMirroring.childrenInherit: true

    Header {
        id: header
        shell: window.shell
        anchors { left: parent.left; right: parent.right; top: parent.top }
    }

    Rectangle {  // a service that could not go on says why, calmly, and where to go
        id: failure
        objectName: "failure_notice"
        visible: window.shell.failure !== ""
        anchors { left: parent.left; right: parent.right; top: header.bottom; margins: window.theme.gap }
        height: visible ? notice.implicitHeight + window.theme.gap : 0
        radius: 12
        color: window.theme.card
        border.color: window.theme.alert
        border.width: 3
        Text {
            id: notice
            anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: window.theme.gap / 2 }
            text: window.shell.failure ? "⚠ " + qsTrId(window.shell.failure) + " " + qsTrId("ui.failure.where") : ""
            color: window.theme.alert
            font.pixelSize: window.theme.text
            wrapMode: Text.WordWrap
        }
    }

    Steps {  // "3 of 7: photo", and what is left
        id: stagesShown
        objectName: "progress"
        anchors {
            left: parent.left; right: parent.right; margins: window.theme.gap
            top: failure.visible ? failure.bottom : header.bottom
        }
    }

    Loader {
        id: screen
        objectName: "screen"
        focus: true
        anchors {
            left: parent.left; right: parent.right; top: stagesShown.visible ? stagesShown.bottom : (failure.visible ? failure.bottom : header.bottom)
            bottom: footer.visible ? footer.top : parent.bottom
            margins: window.theme.gap
        }
        source: Screens.file(window.shell.screen)
    }

    Footer {
        id: footer
        shell: window.shell
        visible: window.shell.screen !== "home"
        anchors { left: parent.left; right: parent.right; bottom: parent.bottom }
    }

    // Qt's on-screen keyboard for letters (pinyin in Chinese); numbers have the
    // screens' own big keypad
    InputPanel {
        id: keyboard
        objectName: "keyboard"
        z: 5
        anchors { left: parent.left; right: parent.right }
        y: active ? parent.height - height : parent.height
    }

    // The style sizes its key labels by the panel's width alone (52 px per 2560 of
    // design width: 22 px on 1080). A narrower design width makes the keys taller and
    // the labels larger: at least 28 px, and 36 px in elderly mode.
    Binding {
        target: keyboard.keyboard.style
        property: "keyboardDesignWidth"
        value: window.shell.elderly ? 1600 : 2100
    }

    // A session's end: the keyboard as the next citizen should find it (no letters
    // being composed, no symbols page, no shift, the language's own input mode)
    Connections {
        target: window.shell
        function onSessionReset() {
            InputContext.clear()  // letters being composed are dropped, not committed
            keyboard.keyboard.symbolMode = false
            var shift = InputContext.priv ? InputContext.priv.shiftHandler : null
            if (shift && (InputContext.capsLockActive || InputContext.shiftActive))
                shift.toggleShift()
            var modes = InputContext.inputEngine.inputModes
            if (modes.length > 0)
                InputContext.inputEngine.inputMode = modes[0]
        }
    }

    Binding {
        target: VirtualKeyboardSettings
        property: "locale"
        // Uyghur: Qt's keyboard has no Uyghur layout; the forms' entries (a name, an
        // address as on the ID card) are written in Chinese, so pinyin
        value: window.shell.language === "en" ? "en_US" : "zh_CN"
    }

    // Overlays exist only while shown: nothing of them lingers between sessions.
    Loader {
        anchors.fill: parent
        active: window.shell.warningSeconds >= 0
        sourceComponent: TimeoutOverlay {}
    }

    Loader {
        anchors.fill: parent
        active: window.shell.helpShown
        sourceComponent: HelpOverlay {}
    }
}
