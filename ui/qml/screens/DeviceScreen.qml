import QtQuick
import "../parts"

// A step a device serves: what to do (place the card, show the code, look at the
// camera, take the card back), with a picture of where; the device answers.
Item {
    id: page
    property var shell: kiosk
    readonly property var theme: kiosk.style
    readonly property string kind: shell ? shell.stepType : ""
    readonly property var pictures: ({
        "read_id_card": "▭ ➜ ▣", "read_document_chip": "▭ ➜ ▣", "scan_code": "▦ ➜ ◎",
        "capture_fingerprints": "☝ ➜ ▢", "take_back": "▣ ➜ ✋", "capture_photo": "◉ ☺",
        "verify_face": "◉ ☺"
    })
    Column {
        anchors.fill: parent
        spacing: page.theme ? page.theme.gap : 0
        visible: page.shell !== null && page.shell !== undefined
        KText { theme: page.theme; heading: true; width: parent.width; text: page.shell ? qsTrId(page.shell.textId) : "" }
        // the face check: the camera's picture, the same as the photo step's preview
        Image {
            id: preview
            objectName: "face_preview"
            property int frame: 0
            anchors.horizontalCenter: parent.horizontalCenter
            width: parent.width * 0.7
            height: width * 0.75
            visible: page.kind === "verify_face" && page.shell.progress.challenge !== undefined
            source: visible ? "image://camera/face-" + frame : ""
            cache: false
            fillMode: Image.PreserveAspectFit
            mirror: true  // as in a mirror: a turn to the left shows to the left
            Timer {
                interval: 66; repeat: true; running: preview.visible
                onTriggered: preview.frame += 1
            }
        }
        KText {  // what to do now: blink, or turn the head and back
            objectName: "face_challenge"
            theme: page.theme
            width: parent.width
            font.pixelSize: page.theme ? page.theme.title : 48
            font.bold: true
            visible: preview.visible
            text: {
                if (!visible) return ""
                var news = page.shell.progress
                if (news.state === "failed") return qsTrId("ui.face.again")
                if (news.hint) return qsTrId("ui.face.hint." + news.hint)
                return qsTrId("ui.face.challenge." + news.challenge)
            }
        }
        KText {
            objectName: "face_try"
            theme: page.theme
            width: parent.width
            visible: preview.visible && page.shell.progress.of > 1
            text: visible ? Screens.fill(qsTrId("ui.face.try"), {
                "attempt": page.shell.progress.attempt, "of": page.shell.progress.of}) : ""
        }
        Rectangle {
            id: picture
            visible: !preview.visible
            anchors.horizontalCenter: parent.horizontalCenter
            width: parent.width * 0.7
            height: page.theme ? page.theme.target * 4 : 300
            radius: 24
            color: page.theme ? page.theme.card : "white"
            border.color: page.theme ? page.theme.brand : "blue"
            border.width: 4
            Text {
                id: glyph
                anchors.centerIn: parent
                text: page.pictures[page.kind] || "…"
                font.pixelSize: page.theme ? page.theme.title * 2 : 96
                color: page.theme ? page.theme.brand : "blue"
                SequentialAnimation on anchors.verticalCenterOffset {
                    loops: Animation.Infinite
                    NumberAnimation { to: -20; duration: 700; easing.type: Easing.InOutQuad }
                    NumberAnimation { to: 20; duration: 700; easing.type: Easing.InOutQuad }
                }
            }
        }
        KText { theme: page.theme; width: parent.width; text: qsTrId("ui.device." + page.kind) }
        // fingerprints: which finger first (the police order, then its fall-backs), how often
        KText {
            objectName: "finger_guide"
            theme: page.theme
            width: parent.width
            font.bold: true
            visible: page.kind === "capture_fingerprints"
            text: visible ? Screens.fill(qsTrId("ui.finger.first"), {"captures": page.shell.params.captures || 3}) : ""
        }
        KText {  // the pad's news: this finger, this try, and how good the last print was
            objectName: "finger_now"
            theme: page.theme
            width: parent.width
            font.pixelSize: page.theme.title
            visible: page.kind === "capture_fingerprints" && page.shell.progress.finger !== undefined
            text: visible ? Screens.fill(qsTrId("ui.finger.now"), {
                "finger": qsTrId("ui.finger." + page.shell.progress.finger),
                "attempt": page.shell.progress.attempt, "of": page.shell.progress.of})
                + (page.shell.progress.quality ? "  ✓ " + page.shell.progress.quality : "") : ""
        }
    }
}
