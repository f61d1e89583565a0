import QtQuick
import QtQuick.Window
import "../parts"

// The attract/home screen: the services as big tiles, each with its icon on the left
// and its name on the right, sharing the height of the screen (in two or three columns
// when one would not hold them all); one that cannot run now is shown as unavailable,
// with why. Above them, 您要办什么？ for whoever does not know a service's name.
Item {
    id: home
    property var shell: kiosk
    readonly property var theme: kiosk.style
    // a touch away from the buttons: someone is here (the greeting, once per approach)
    TapHandler { onTapped: if (home.shell) home.shell.homeTouched() }
    // the services drawn for this product (ui/qml/art/icons); any other: a form
    readonly property var icons: ["id_photo", "id_renewal", "permit_endorsement",
                                  "criminal_record_proof", "queue_ticket", "household_proof",
                                  "residence_proof", "kinship_proof", "birth_proof",
                                  "death_proof", "proofs", "proof_verification",
                                  "exit_entry_application", "document_pickup"]
    readonly property var tiles: home.shell ? home.shell.serviceTiles : []
    // the tiles share what the title leaves, within reason: never under 1.4 touch
    // targets (one in the wheelchair layout, whose lower half must hold them all),
    // never so tall that a few services look lost
    readonly property bool low: shell ? shell.reach : false
    readonly property real least: theme ? theme.target * (low ? 1.0 : 1.4) : 0
    // the wheelchair layout places the screen by its content (from the bottom up): there
    // the room is the lower part of the window, or the columns would chase the height
    readonly property real room: (low ? home.Window.height * 0.55 : home.height)
                                 - intro.height - column.spacing
    // what one column of tiles needs, their names wrapped as they would be there (the
    // probe below: it does not depend on the columns, so no binding goes round)
    readonly property real oneColumn: {
        var total = 0
        for (var i = 0; i < probe.children.length; i++) {
            var name = probe.children[i]
            if (name.objectName === "probe_name")
                total += Math.max(least, name.implicitHeight + theme.gap * (low ? 1 : 2)) + column.spacing
        }
        return total
    }
    readonly property int columns: !theme || oneColumn <= room ? 1
        : Math.ceil(tiles.length / 2) * (least + column.spacing) <= room ? 2 : 3
    readonly property int rows: Math.max(1, Math.ceil(tiles.length / columns))
    readonly property real tileHeight: !theme || tiles.length === 0 ? 0 : Math.max(
        least, Math.min(theme.target * (columns > 1 ? 3.5 : 2.8), room / rows - column.spacing))
    Column {
        id: probe
        visible: false
        Repeater {
            model: home.tiles
            delegate: Text {
                required property var modelData
                objectName: "probe_name"
                width: home.width - home.theme.target * 2 - home.theme.gap * 4
                text: qsTrId(modelData.title)
                font.pixelSize: home.low ? home.theme.text * 1.25 : home.theme.title
                font.bold: true
                wrapMode: Text.WordWrap
            }
        }
    }
    Column {
        id: column
        anchors.fill: parent
        spacing: home.theme ? home.theme.gap : 0
        visible: home.shell !== undefined && home.shell !== null
        Column {
            id: intro
            width: parent.width
            spacing: home.theme ? home.theme.gap / 2 : 0
            KText {
                theme: home.theme
                heading: true
                width: parent.width
                // a group of services open (the proofs): its name, and Back in the footer
                text: qsTrId(home.shell && home.shell.homeGroup !== ""
                             ? "ui.home.group." + home.shell.homeGroup : "ui.home.title")
            }
            KText {
                theme: home.theme
                width: parent.width
                color: home.theme ? home.theme.quiet : "black"
                text: qsTrId("ui.home.choose")
            }
            // 您要办什么？: for whoever does not know the service's name (ui/finder.py)
            KButton {
                objectName: "button_finder"
                theme: home.theme
                width: parent.width
                height: home.theme ? home.theme.target * 1.2 : 100
                textId: "ui.finder.open"
                enabledState: home.shell ? home.shell.pausedReason === "" : false
                onTapped: home.shell.openFinder()
            }
            // every service paused (a power failure: kiosk/power.py), said large, once
            Rectangle {
                id: paused
                objectName: "paused_banner"
                readonly property string reason: home.shell ? home.shell.pausedReason : ""
                visible: reason !== ""
                width: parent.width
                height: visible ? pausedText.implicitHeight + home.theme.gap * 1.5 : 0
                radius: 16
                color: home.theme ? home.theme.alert : "darkred"
                Text {
                    id: pausedText
                    objectName: "paused_text"
                    anchors.centerIn: parent
                    width: parent.width - home.theme.gap * 2
                    horizontalAlignment: Text.AlignHCenter
                    wrapMode: Text.WordWrap
                    text: paused.visible ? qsTrId(paused.reason) : ""
                    color: home.theme ? home.theme.onBrand : "white"
                    font.pixelSize: home.theme ? home.theme.title : 40
                    font.bold: true
                }
            }
        }
        Grid {
            id: grid
            width: column.width
            columns: home.columns
            spacing: column.spacing
            Repeater {
                model: home.tiles
                delegate: Rectangle {
                    id: tile
                    required property var modelData
                    objectName: "tile_" + modelData.id
                    readonly property bool available: modelData.available
                    width: (grid.width - grid.spacing * (home.columns - 1)) / home.columns
                    height: Math.max(home.tileHeight, words.implicitHeight + home.theme.gap * (home.low ? 1 : 2))
                    radius: 16
                    color: available ? home.theme.brand : "#E3E7EC"
                    border.width: available ? 0 : 3
                    border.color: home.theme.line
                    Rectangle {  // the icon, on a white disc
                        id: badge
                        objectName: "badge_" + tile.modelData.id
                        anchors { left: parent.left; leftMargin: home.theme.gap; verticalCenter: parent.verticalCenter }
                        width: Math.min(tile.height - home.theme.gap * 1.5,
                                        home.theme.target * (home.columns > 1 ? 1 : 2))
                        height: width
                        radius: width / 2
                        color: home.theme.card
                        border.width: tile.available ? 0 : 3
                        border.color: home.theme.line
                        Image {
                            objectName: "icon_" + tile.modelData.id
                            readonly property bool loaded: status === Image.Ready
                            readonly property color stroke: home.theme.brand  // the icon's lines
                            anchors.centerIn: parent
                            width: parent.width * 0.62
                            height: width
                            sourceSize: Qt.size(width, height)
                            source: "../art/icons/" + (home.icons.indexOf(tile.modelData.icon) >= 0
                                                       ? tile.modelData.icon : "service") + ".svg"
                        }
                    }
                    Column {
                        id: words
                        anchors {
                            left: badge.right; leftMargin: home.theme.gap
                            right: parent.right; rightMargin: home.theme.gap
                            verticalCenter: parent.verticalCenter
                        }
                        spacing: home.theme.gap / 4
                        Text {
                            width: parent.width
                            text: qsTrId(tile.modelData.title)
                            color: tile.available ? home.theme.onBrand : home.theme.quiet
                            font.pixelSize: home.columns > 1 ? home.theme.text
                                            : home.low ? home.theme.text * 1.25 : home.theme.title
                            font.bold: true
                            wrapMode: Text.WordWrap
                        }
                        Text {
                            width: parent.width
                            visible: !tile.available
                            text: visible ? qsTrId(tile.modelData.reason) : ""
                            color: home.theme.quiet
                            font.pixelSize: home.theme.text
                            wrapMode: Text.WordWrap
                        }
                    }
                    MouseArea {
                        anchors.fill: parent
                        enabled: tile.available
                        onClicked: tile.modelData.group !== ""
                                   ? home.shell.openGroup(tile.modelData.group)
                                   : home.shell.startService(tile.modelData.id)
                    }
                }
            }
        }
    }
}
