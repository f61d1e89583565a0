import QtQuick
import "../parts"

// The camera: the live picture with an oval where the face goes, the pipeline's
// hint in words, 3-2-1 while the citizen holds still, then the photo to keep or
// take again.
Item {
    id: page
    property var shell: kiosk
    readonly property var theme: kiosk.style
    // on the way out (the session ended, the context going) a still, empty camera
    readonly property var photo: (kiosk && kiosk.photo) ? kiosk.photo
        : ({"hints": [], "guide": [0, 0, 0, 0], "countdown": -1, "frameNo": 0, "reviewing": false})
    Column {
        anchors.fill: parent
        spacing: page.theme.gap
        KText { theme: page.theme; heading: true; width: parent.width; text: qsTrId(page.photo.reviewing ? "ui.camera.review" : page.shell.textId) }
        Item {
            id: frame
            width: parent.width
            height: width * 3 / 4
            Image {
                id: preview
                objectName: "camera_preview"
                anchors.fill: parent
                fillMode: Image.PreserveAspectFit
                cache: false
                asynchronous: false
                source: page.photo.reviewing ? "image://camera/photo-" + page.photo.frameNo : "image://camera/" + page.photo.frameNo
            }
            Rectangle {  // the guide: where the face goes
                objectName: "camera_guide"
                visible: !page.photo.reviewing && page.photo.guide[2] > 0
                x: preview.x + (preview.width - preview.paintedWidth) / 2 + page.photo.guide[0] * preview.paintedWidth
                y: preview.y + (preview.height - preview.paintedHeight) / 2 + page.photo.guide[1] * preview.paintedHeight
                width: page.photo.guide[2] * preview.paintedWidth
                height: page.photo.guide[3] * preview.paintedHeight
                radius: width / 2
                color: "transparent"
                border.width: 8
                border.color: page.photo.hints.length === 0 ? "#1E7B34" : "#FFFFFF"
            }
            Text {
                objectName: "camera_countdown"
                anchors.centerIn: parent
                visible: page.photo.countdown > 0 && !page.photo.reviewing
                text: page.photo.countdown
                color: "#FFFFFF"
                style: Text.Outline
                styleColor: "#16202B"
                font.pixelSize: page.theme.title * 3
                font.bold: true
            }
        }
        Repeater {
            model: page.photo.reviewing ? [] : page.photo.hints
            delegate: Rectangle {
                required property string modelData
                width: parent.width
                height: hint.implicitHeight + page.theme.gap
                radius: 12
                color: page.theme.card
                border.color: page.theme.alert
                border.width: 3
                KText {
                    id: hint
                    objectName: "camera_hint"
                    theme: page.theme
                    anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: page.theme.gap / 2 }
                    color: page.theme.alert
                    text: "⚠ " + qsTrId(modelData)
                }
            }
        }
        Row {
            visible: page.photo.reviewing
            spacing: page.theme.gap
            width: parent.width
            KButton { objectName: "button_retake"; theme: page.theme; width: (parent.width - page.theme.gap) / 2; textId: "ui.camera.retake"; onTapped: page.photo.retake() }
            KButton { objectName: "button_use_photo"; theme: page.theme; primary: true; width: (parent.width - page.theme.gap) / 2; textId: "ui.camera.use"; onTapped: page.photo.accept() }
        }
    }
}
