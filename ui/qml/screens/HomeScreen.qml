import QtQuick
import "../parts"

// The attract/home screen: the services as big tiles; one that cannot run now is
// shown as unavailable, with why.
Item {
    id: home
    property var shell: kiosk
    readonly property var theme: kiosk.style
    // a touch away from the buttons: someone is here (the greeting, once per approach)
    TapHandler { onTapped: if (home.shell) home.shell.homeTouched() }
    Column {
        anchors.fill: parent
        spacing: home.theme ? home.theme.gap : 0
        visible: home.shell !== undefined && home.shell !== null
        KText {
            theme: home.theme
            heading: true
            width: parent.width
            text: qsTrId("ui.home.title")
        }
        KText {
            theme: home.theme
            width: parent.width
            color: home.theme ? home.theme.quiet : "black"
            text: qsTrId("ui.home.choose")
        }
        Repeater {
            model: home.shell ? home.shell.serviceTiles : []
            delegate: KButton {
                required property var modelData
                objectName: "tile_" + modelData.id
                theme: home.theme
                width: parent.width
                implicitHeight: home.theme.target * 1.4
                primary: modelData.available
                enabledState: modelData.available
                label: modelData.available ? qsTrId(modelData.title)
                       : qsTrId(modelData.title) + "\n" + qsTrId(modelData.reason)
                onTapped: home.shell.startService(modelData.id)
            }
        }
    }
}
