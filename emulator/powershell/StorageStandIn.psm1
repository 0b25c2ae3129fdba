# The Windows Storage cmdlets that scripts/windows/enable-password-reset.ps1 calls, for the
# emulator's aws:runPowerShellScript under Linux pwsh: the instance's disks are the loop devices
# of the EBS volumes registered with images (DISK_BY_ID_DIR, see emulator/disks.py), plus the
# helper's own boot disk (disk 0, which holds no file). Bringing a disk online mounts its NTFS
# partitions with ntfs-3g (in the private mount namespace the emulator runs the step in); taking
# it offline unmounts them. Not Windows: no signature rewrite, no real drive letters (a letter
# is recorded; the partition's root is its mount point), no Storage module error codes.

$script:Disks = $null
$script:MountRoot = [IO.Path]::Combine($env:TEMP, 'storage-stand-in')

function Get-StandInDisks {
    if ($null -ne $script:Disks) { return $script:Disks }
    $boot = [pscustomobject]@{ Number = 0; SerialNumber = 'helper-root'; BusType = 'NVMe'; Size = 32GB; IsOffline = $false; OfflineReason = $null
        IsReadOnly = $false; IsBoot = $true; IsSystem = $true; PartitionStyle = 'GPT'; Signature = $null; Guid = '{00000000-0000-4000-8000-000000000000}'; Device = $null; Partitions = @() }
    $script:Disks = New-Object System.Collections.ArrayList
    [void]$script:Disks.Add($boot)
    $folder = $env:DISK_BY_ID_DIR
    if (-not $folder -or -not [IO.Directory]::Exists($folder)) { return $script:Disks }
    $number = 1
    foreach ($link in @([IO.Directory]::GetFileSystemEntries($folder) | Sort-Object)) {
        $name = [IO.Path]::GetFileName($link)
        if ($name -notmatch '^nvme-Amazon_Elastic_Block_Store_(vol[0-9a-f]+)$') { continue }
        $serial = $Matches[1] + '_00000001.'
        $disk = New-StandInDisk $number $serial $link
        [void]$script:Disks.Add($disk)
        $number++
    }
    return $script:Disks
}

# Reads the partition table: MBR signature (offset 440) or, behind a protective MBR, the GPT disk GUID.
function New-StandInDisk([int]$Number, [string]$Serial, [string]$Link) {
    $bytes = New-Object byte[] 1024
    $stream = [IO.File]::OpenRead($Link)
    try { [void]$stream.Read($bytes, 0, 1024) } finally { $stream.Dispose() }
    $style = 'RAW'; $signature = $null; $guid = $null
    if ($bytes[510] -eq 0x55 -and $bytes[511] -eq 0xAA) {
        if ($bytes[450] -eq 0xEE) {
            $style = 'GPT'; $guid = '{' + (New-Object Guid (, [byte[]]$bytes[568..583])).ToString().ToUpperInvariant() + '}'
        } else { $style = 'MBR'; $signature = [BitConverter]::ToUInt32($bytes, 440) }
    }
    # Partitions from the MBR's four entries (no GPT entries here: the images are MBR). The
    # kernel's partition scan does not work in every container, so each partition gets its own
    # loop device (losetup --offset) while the disk is online.
    $partitions = New-Object System.Collections.ArrayList
    if ($style -eq 'MBR') {
        for ($k = 0; $k -lt 4; $k++) {
            $entry = 446 + 16 * $k
            $sectors = [BitConverter]::ToUInt32($bytes, $entry + 12)
            if ($bytes[$entry + 4] -eq 0 -or $sectors -eq 0) { continue }
            $start = [long][BitConverter]::ToUInt32($bytes, $entry + 8) * 512
            [void]$partitions.Add([pscustomobject]@{ DiskNumber = $Number; PartitionNumber = $k + 1; DriveLetter = [char]0; Type = 'IFS'; Offset = $start; Length = [long]$sectors * 512; Device = $null; Mount = $null })
        }
    }
    return [pscustomobject]@{ Number = $Number; SerialNumber = $Serial; BusType = 'NVMe'; Size = (Get-Item -LiteralPath $Link).Length; IsOffline = $true; OfflineReason = 'Policy'
        IsReadOnly = $false; IsBoot = $false; IsSystem = $false; PartitionStyle = $style; Signature = $signature; Guid = $guid; Device = $Link; Partitions = $partitions }
}

function Get-StandInDisk([int]$Number) {
    $disk = @(Get-StandInDisks | Where-Object { $_.Number -eq $Number })
    if ($disk.Count -ne 1) { throw "No MSFT_Disk objects found with property 'Number' equal to '$Number'." }
    return $disk[0]
}

function Get-Disk {
    param([Nullable[int]]$Number)
    if ($null -eq $Number) { return @(Get-StandInDisks) }
    return Get-StandInDisk $Number
}

function Set-Disk {
    param([int]$Number, [Nullable[bool]]$IsOffline, [Nullable[bool]]$IsReadOnly)
    $disk = Get-StandInDisk $Number
    if ($disk.IsBoot) { throw "disk $Number is the helper's boot disk (the stand-in refuses to change it)" }
    if ($null -ne $IsReadOnly) { $disk.IsReadOnly = $IsReadOnly }
    if ($null -eq $IsOffline -or $IsOffline -eq $disk.IsOffline) { return }
    if ($IsOffline) { foreach ($partition in $disk.Partitions) { Dismount-StandInPartition $partition } }
    else { foreach ($partition in $disk.Partitions) { Mount-StandInPartition $disk $partition } }
    $disk.IsOffline = $IsOffline
}

function Get-StandInFileSystem($Partition) {
    if ($null -eq $Partition.Device) { return '' }
    $type = (& blkid -o value -s TYPE $Partition.Device 2>$null)
    if ($type -eq 'ntfs') { return 'NTFS' }
    return [string]$type
}

function Mount-StandInPartition($Disk, $Partition) {
    $Partition.Device = (& losetup --find --show --offset $Partition.Offset --sizelimit $Partition.Length ([IO.Path]::GetFullPath($Disk.Device)))
    if ($LASTEXITCODE -ne 0) { throw "losetup could not map partition $($Partition.PartitionNumber) of disk $($Disk.Number)" }
    if ((Get-StandInFileSystem $Partition) -ne 'NTFS') { return }
    $mount = [IO.Path]::Combine($script:MountRoot, "disk$($Partition.DiskNumber)-part$($Partition.PartitionNumber)")
    [void][IO.Directory]::CreateDirectory($mount)
    & ntfs-3g $Partition.Device $mount
    if ($LASTEXITCODE -ne 0) { throw "ntfs-3g could not mount $($Partition.Device) (exit $LASTEXITCODE)" }
    $Partition.Mount = $mount
}

function Dismount-StandInPartition($Partition) {
    if ($null -ne $Partition.Mount) {
        & umount $Partition.Mount
        if ($LASTEXITCODE -ne 0) { throw "umount $($Partition.Mount) failed (exit $LASTEXITCODE)" }
        $Partition.Mount = $null
    }
    if ($null -ne $Partition.Device) {
        & losetup -d $Partition.Device
        $Partition.Device = $null
    }
}

function Get-Partition {
    param([int]$DiskNumber, [Nullable[int]]$PartitionNumber)
    $disk = Get-StandInDisk $DiskNumber
    if ($disk.IsOffline) { return @() }
    return @($disk.Partitions | Where-Object { $null -eq $PartitionNumber -or $_.PartitionNumber -eq $PartitionNumber })
}

function Get-Volume {
    param($Partition)
    return [pscustomobject]@{ FileSystem = (Get-StandInFileSystem $Partition); DriveLetter = $Partition.DriveLetter }
}

function Add-PartitionAccessPath {
    param([int]$DiskNumber, [int]$PartitionNumber, [switch]$AssignDriveLetter)
    $partition = @(Get-Partition -DiskNumber $DiskNumber -PartitionNumber $PartitionNumber)[0]
    $used = @(Get-StandInDisks | ForEach-Object { $_.Partitions } | ForEach-Object { $_.DriveLetter })
    foreach ($letter in [char[]]'DEFGHIJKLMNOPQRSTUVWXYZ') { if ($used -notcontains $letter) { $partition.DriveLetter = $letter; return } }
}

function Remove-PartitionAccessPath {
    param([int]$DiskNumber, [int]$PartitionNumber, [string]$AccessPath)
    $partition = @(Get-Partition -DiskNumber $DiskNumber -PartitionNumber $PartitionNumber)[0]
    if ("$($partition.DriveLetter):\" -ne $AccessPath) { throw "partition $PartitionNumber of disk $DiskNumber has no access path $AccessPath" }
    $partition.DriveLetter = [char]0
}

function Write-VolumeCache { param([char]$DriveLetter) & sync }
function Update-HostStorageCache { }

# The folder where a partition's files are: its ntfs-3g mount point.
function Get-StandInPartitionRoot($Partition) {
    $mounted = @(Get-StandInDisks | ForEach-Object { $_.Partitions } | Where-Object { $_.DiskNumber -eq $Partition.DiskNumber -and $_.PartitionNumber -eq $Partition.PartitionNumber })
    if ($mounted.Count -ne 1 -or $null -eq $mounted[0].Mount) { throw "partition $($Partition.PartitionNumber) of disk $($Partition.DiskNumber) is not mounted" }
    return $mounted[0].Mount
}

Export-ModuleMember -Function Get-Disk, Set-Disk, Get-Partition, Get-Volume, Add-PartitionAccessPath, Remove-PartitionAccessPath, Write-VolumeCache, Update-HostStorageCache, Get-StandInPartitionRoot
