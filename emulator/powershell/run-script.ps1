# What the emulator's powershell.exe runs: `powershell.exe ... -File SCRIPT -Name value ...` as
# Windows would, but with the Storage cmdlets of StorageStandIn.psm1. The script is the real one,
# dot-sourced (which runs nothing), with one function replaced: Get-PartitionRoot gives the
# partition's ntfs-3g mount point instead of "E:\". Then its Invoke-Main runs, as on Windows.
$ErrorActionPreference = 'Stop'
$file = $null
$named = @{}
for ($i = 0; $i -lt $args.Count; $i++) {
    $name = [string]$args[$i]
    if ($name -eq '-File') { $file = $args[++$i]; continue }
    if ($null -eq $file) { continue }  # powershell.exe's own switches (-NoProfile, -ExecutionPolicy Bypass...)
    if (-not $name.StartsWith('-')) { throw "unexpected argument $name" }
    $named[$name.Substring(1)] = $args[++$i]
}
if ($null -eq $file) { throw 'no -File' }
Import-Module ([IO.Path]::Combine($PSScriptRoot, 'StorageStandIn.psm1'))
. $file @named
function Get-PartitionRoot($Partition) { return Get-StandInPartitionRoot $Partition }
exit (Invoke-Main $VolumeId $DeviceName $Root $AgentDataPath $TimeoutSeconds)
