; Inno Setup script for the Windows installer (NOT built or tested here; see packaging/README.md).
; Build on Windows (see .github/workflows/installers.yml) from the repository root:
;   python packaging\make_icons.py
;   python -m PyInstaller --noconfirm --distpath packaging\dist --workpath packaging\build\work packaging\position-planner.spec
;   iscc /DAppVersion=0.1.0 packaging\windows\position-planner.iss
; The bundle folder holds position-planner.exe (console: CLI sub-commands, put on PATH)
; and position-planner-gui.exe (windowed: the Start menu and desktop shortcuts), plus
; licenses\ with the third-party license texts.
#define AppName "Position Planner"
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define Bundle "..\dist\position-planner"

[Setup]
AppId={{6E3A1C52-2B8D-4C7E-9F41-8D0A7B1C2E55}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Position Planner developers
DefaultDirName={autopf}\Position Planner
DefaultGroupName=Position Planner
OutputDir=..\dist
OutputBaseFilename=position-planner-{#AppVersion}-windows-setup
SetupIconFile=..\..\resources\icons\position-planner.ico
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
ChangesEnvironment=yes
UninstallDisplayIcon={app}\position-planner-gui.exe
LicenseFile=..\licenses\NOTICE.md

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\Position Planner"; Filename: "{app}\position-planner-gui.exe"
Name: "{group}\Third-party licenses"; Filename: "{app}\licenses\NOTICE.md"
Name: "{autodesktop}\Position Planner"; Filename: "{app}\position-planner-gui.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop icon"; Flags: unchecked
Name: "addtopath"; Description: "Put position-planner on PATH (command line)"

[Registry]
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Code]
function NeedsAddPath(Param: string): boolean;
var
  OrigPath: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', OrigPath) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Param + ';', ';' + OrigPath + ';') = 0;
end;
