import QtQuick
import "../parts"

// The scan_document step: lay the paper face down on the glass and tap Scan; then
// the page as scanned, to keep (Confirm) or lay again (Scan again). A lid left open
// or no paper is said here, for the citizen to put right and scan again.
Item {
    id: page
    property var shell: kiosk
    readonly property var theme: kiosk.style
    readonly property var news: (page.shell && page.shell.progress) ? page.shell.progress : ({})
    readonly property string state_: news.scan || "place"
    Column {
        anchors.fill: parent
        spacing: page.theme ? page.theme.gap : 0
        visible: page.shell !== null && page.shell !== undefined
        KText {
            theme: page.theme; heading: true; width: parent.width
            text: page.state_ === "ready" ? qsTrId("ui.scan.review") : (page.shell ? qsTrId(page.shell.textId) : "")
        }
        Rectangle {  // the page as scanned, on a sheet's frame
            objectName: "scan_preview_frame"
            visible: page.state_ === "ready"
            anchors.horizontalCenter: parent.horizontalCenter
            width: parent.width * 0.72
            height: width * 297 / 210
            color: page.theme ? page.theme.card : "white"
            border.color: page.theme ? page.theme.line : "gray"
            border.width: 2
            Image {
                objectName: "scan_preview"
                anchors.fill: parent
                anchors.margins: 6
                fillMode: Image.PreserveAspectFit
                cache: false
                sourceSize: Qt.size(width, height)
                source: parent.visible ? "image://scan/" + page.news.ref + "/" + page.news.shot : ""
            }
        }
        Drawing {  // where the scanner is, and the paper going on its glass
            visible: page.state_ === "place" || page.state_ === "problem"
            theme: page.theme
            kind: "scan_document"
            params: page.shell ? page.shell.params : ({})
            progress: page.news
            slots: page.shell ? page.shell.slots : ({})
            width: parent.width
            height: visible ? Math.min(parent.width, page.theme ? page.theme.target * 6 : 600) : 0
        }
        KText {
            objectName: "scan_words"
            theme: page.theme
            width: parent.width
            font.bold: page.state_ === "problem"
            color: page.state_ === "problem" && page.theme ? page.theme.alert : (page.theme ? page.theme.ink : "black")
            text: page.state_ === "problem" ? qsTrId("ui.scan.problem." + page.news.error)
                : page.state_ === "scanning" ? qsTrId("ui.scan.scanning")
                : page.state_ === "ready" ? qsTrId("ui.scan.check")
                : qsTrId("ui.device.scan_document")
        }
        KButton {
            objectName: "button_scan"
            visible: page.state_ === "place"
            theme: page.theme
            primary: true
            width: parent.width
            textId: "ui.scan.start"
            onTapped: page.shell.scanDecide("scan")
        }
        KButton {
            objectName: "button_scan_again"
            visible: page.state_ === "ready" || page.state_ === "problem"
            theme: page.theme
            primary: page.state_ === "problem"
            width: parent.width
            textId: "ui.scan.again"
            onTapped: page.shell.scanDecide("again")
        }
        KButton {
            objectName: "button_scan_keep"
            visible: page.state_ === "ready"
            theme: page.theme
            primary: true
            width: parent.width
            textId: "ui.confirm"
            onTapped: page.shell.scanDecide("keep")
        }
    }
}
