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

    // The wheelchair layout (`shell.reach`): every action within the lower 55 % of
    // the screen. The header's controls come down above the footer, the screen's
    // content sits on the header from below, and the top holds only words.
    readonly property bool reach: shell.reach
    readonly property real reachLine: height * 0.45
    // where the on-screen keyboard begins (the window's bottom when it is down)
    readonly property real keyboardTop: Math.min(height, keyboard.y)

    // (placed by y, not by anchors that change with the mode: anchors switched on
    // and off leave the header stretched)
    Header {
        id: header
        shell: window.shell
        anchors { left: parent.left; right: parent.right }
        y: window.reach ? (footer.visible ? footer.y : window.keyboardTop) - height : 0
    }

    Rectangle {  // the wheelchair layout's top: what the mode is, nothing to touch
        id: reachNote
        objectName: "reach_note"
        visible: window.reach
        anchors { left: parent.left; right: parent.right; top: parent.top; margins: window.theme.gap }
        height: visible ? reachWords.implicitHeight + window.theme.gap * 2 : 0
        radius: 12
        color: window.theme.card
        border.color: window.theme.line
        border.width: 2
        Image {
            id: reachSign
            anchors { left: parent.left; leftMargin: window.theme.gap; verticalCenter: parent.verticalCenter }
            width: window.theme.target * 0.8
            height: width
            sourceSize: Qt.size(width, height)
            source: "parts/wheelchair.svg"
        }
        Text {
            id: reachWords
            anchors {
                left: reachSign.right; right: parent.right; verticalCenter: parent.verticalCenter
                leftMargin: window.theme.gap; rightMargin: window.theme.gap
            }
            text: qsTrId("ui.reach.note")
            color: window.theme.ink
            font.pixelSize: window.theme.text
            wrapMode: Text.WordWrap
        }
    }

    Rectangle {  // a service that could not go on says why, calmly, and where to go
        id: failure
        objectName: "failure_notice"
        visible: window.shell.failure !== ""
        anchors { left: parent.left; right: parent.right; margins: window.theme.gap }
        y: (window.reach ? reachNote.y + reachNote.height : header.height) + window.theme.gap
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

    Steps {  // "3 of 7: photo", and what is left (words: above the reach line too)
        id: stagesShown
        objectName: "progress"
        anchors { left: parent.left; right: parent.right; margins: window.theme.gap }
        y: (window.reach ? (failure.visible ? failure.y + failure.height : reachNote.y + reachNote.height)
                         : (failure.visible ? failure.y + failure.height : header.height)) + window.theme.gap
    }

    // The screen's stage: between the header (or, in the wheelchair layout, the
    // reach line) and the footer. A screen taller than its stage (the keyboard is
    // up, large text) scrolls instead of running under the footer.
    Flickable {
        id: stage
        objectName: "stage"
        x: window.theme.gap
        width: window.width - window.theme.gap * 2
        // the wheelchair layout: from the reach line down, or higher for a screen
        // that needs it: its words (what is above its first button) may rise above
        // the line, its buttons stay low, and what still does not fit scrolls
        // (under the progress, the failure notice, or the header / the reach note)
        readonly property real above: stagesShown.visible ? stagesShown.y + stagesShown.height
            : failure.visible ? failure.y + failure.height
            : window.reach ? reachNote.y + reachNote.height : header.height
        readonly property real topEdge: window.reach
            ? Math.max(above + window.theme.gap,
                       Math.min(window.reachLine, Math.max(bottomEdge - needed, window.reachLine - wordsAbove)))
            : above + window.theme.gap
        // how far down the screen's content its first button is (words above it)
        property real wordsAbove: 0
        function measure() {
            var item = screen.item, first = -1, todo = item ? [item] : []
            while (todo.length > 0) {
                var next = todo.shift()
                for (var i = 0; i < next.children.length; i++) {
                    var child = next.children[i]
                    if (!child.visible)
                        continue
                    if (typeof child.tapped === "function") {  // a KButton
                        var at = child.mapToItem(item, 0, 0).y
                        first = first < 0 ? at : Math.min(first, at)
                    } else {
                        todo.push(child)
                    }
                }
            }
            wordsAbove = Math.max(0, first)
        }
        onNeededChanged: Qt.callLater(measure)
        onWidthChanged: Qt.callLater(measure)
        Connections {
            target: window.shell
            function onScreenChanged() { Qt.callLater(stage.measure) }
            function onModeChanged() { Qt.callLater(stage.measure) }
        }
        readonly property real bottomEdge: (window.reach ? header.y : footer.visible ? footer.y : window.keyboardTop) - window.theme.gap
        y: topEdge
        height: Math.max(0, bottomEdge - topEdge)
        // how tall the screen's content is: its columns' own heights
        readonly property real needed: {
            var item = screen.item
            if (!item)
                return 0
            var most = item.implicitHeight
            for (var i = 0; i < item.children.length; i++)
                most = Math.max(most, item.children[i].implicitHeight)
            return most
        }
        readonly property bool overflows: needed > height + 1
        contentWidth: width
        contentHeight: Math.max(height, needed)
        interactive: overflows
        clip: overflows || window.reach
        boundsBehavior: Flickable.StopAtBounds
        onHeightChanged: returnToBounds()

        Loader {
            id: screen
            objectName: "screen"
            focus: true
            width: stage.width
            height: stage.height
            // the wheelchair layout: the content from the bottom up
            y: window.reach && stage.needed > 0 ? Math.max(0, stage.height - stage.needed) : 0
            source: Screens.file(window.shell.screen)
        }
    }

    Footer {
        id: footer
        shell: window.shell
        // nothing to go back to or cancel before the terminal is commissioned; on the
        // home screen, only with a group of services open (Back to them all)
        visible: (window.shell.screen !== "home" || window.shell.homeGroup !== "")
                 && window.shell.screen !== "commissioning"
        // the on-screen keyboard never hides Back, Say again and Cancel: the footer
        // stands on it
        anchors { left: parent.left; right: parent.right; bottom: parent.bottom; bottomMargin: window.height - window.keyboardTop }
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

    // The night's sleep (ui/sleep.py): black over everything, the keyboard too, and
    // nothing readable. The finger that wakes it stays the cover's until it is
    // lifted, so the waking touch presses nothing beneath.
    MouseArea {
        id: sleepCover
        objectName: "sleep_cover"
        property bool waking: false
        anchors.fill: parent
        z: 10
        visible: window.shell.screenSleep.asleep || waking
        onPressed: { waking = true; window.shell.screenSleep.wake() }
        onReleased: waking = false
        onCanceled: waking = false
        Rectangle {
            anchors.fill: parent
            color: "black"
            visible: window.shell.screenSleep.asleep
        }
    }
}
