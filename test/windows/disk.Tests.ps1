# The disk handling of enable-password-reset.ps1 under Pester 5 mocks of the Storage cmdlets
# (Get-Disk, Set-Disk, Get-Partition, Get-Volume, the access-path and cache cmdlets, and
# Win32_DiskDrive): finding the volume's disk (NVMe serial, Xen target id, the wait), the refusals
# before the disk is touched (signature or GPT id collision, the helper's own disk, no partition
# table), bringing it online and writable, drive letters, and closing it again on every exit
# path: success, error, refusal, deadline, and a failure while closing. The volume's files are
# a folder of Pester's TestDrive, given to the script through Get-PartitionRoot.
# What mocks cannot show: the real Storage module's behaviour (objects, timings, errors).

BeforeAll {
    $script:ScriptPath = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '..', '..', 'scripts', 'windows', 'enable-password-reset.ps1'))
    $script:FixturePath = [IO.Path]::Combine($PSScriptRoot, 'fixtures')

    # The Storage module exists only on Windows: stand-ins with the parameters the script uses,
    # so that Mock can replace them (each throws if a test forgot to mock it). An optional
    # parameter defaults to $null: a mock's body cannot see $PSBoundParameters.
    function Get-Disk { param($Number = $null) throw 'Get-Disk not mocked' }
    function Set-Disk { param($Number, $IsOffline = $null, $IsReadOnly = $null) throw 'Set-Disk not mocked' }
    function Get-Partition { param($DiskNumber, $PartitionNumber = $null) throw 'Get-Partition not mocked' }
    function Get-Volume { param($Partition) throw 'Get-Volume not mocked' }
    function Add-PartitionAccessPath { param([int]$DiskNumber, [int]$PartitionNumber, [switch]$AssignDriveLetter) throw 'Add-PartitionAccessPath not mocked' }
    function Remove-PartitionAccessPath { param([int]$DiskNumber, [int]$PartitionNumber, [string]$AccessPath) throw 'Remove-PartitionAccessPath not mocked' }
    function Write-VolumeCache { param([char]$DriveLetter) throw 'Write-VolumeCache not mocked' }
    function Update-HostStorageCache { }
    function Get-CimInstance { param([string]$ClassName) throw 'Get-CimInstance not mocked' }

    function New-Disk([int]$Number, [string]$Serial, [hashtable]$Extra = @{}) {
        $disk = [pscustomobject]@{
            Number = $Number; SerialNumber = $Serial; BusType = 'NVMe'; Size = 32GB
            IsOffline = $true; OfflineReason = 'Policy'; IsReadOnly = $true; IsBoot = $false; IsSystem = $false
            PartitionStyle = 'MBR'; Signature = [uint32](0x1000 + $Number); Guid = $null
        }
        foreach ($key in $Extra.Keys) { $disk.$key = $Extra[$key] }
        return $disk
    }

    # A Windows volume with EC2Launch v2 (password type static, .run-once present) in $Folder.
    function New-WindowsVolume([string]$Folder) {
        foreach ($dir in 'Windows/System32/config', 'ProgramData/Amazon/EC2Launch/config', 'ProgramData/Amazon/EC2Launch/state', 'Program Files/Amazon/EC2Launch') {
            [void][IO.Directory]::CreateDirectory([IO.Path]::Combine($Folder, $dir))
        }
        [IO.File]::WriteAllText([IO.Path]::Combine($Folder, 'Windows/System32/config/SYSTEM'), 'regf')
        [IO.File]::WriteAllText([IO.Path]::Combine($Folder, 'Program Files/Amazon/EC2Launch/EC2Launch.exe'), 'MZ')
        $config = [IO.File]::ReadAllText([IO.Path]::Combine($script:FixturePath, 'ec2launch-v2', 'agent-config.yml'))
        $static = $config.Replace("        type: random`n", "        type: static`n        data: Sup3r-Secret!`n")
        [IO.File]::WriteAllText([IO.Path]::Combine($Folder, 'ProgramData/Amazon/EC2Launch/config/agent-config.yml'), $static)
        [IO.File]::WriteAllText([IO.Path]::Combine($Folder, 'ProgramData/Amazon/EC2Launch/state/.run-once'), '')
    }

    function Get-ConfigText([string]$Folder) { return [IO.File]::ReadAllText([IO.Path]::Combine($Folder, 'ProgramData/Amazon/EC2Launch/config/agent-config.yml')) }
    function Test-RunOnce([string]$Folder) { return [IO.File]::Exists([IO.Path]::Combine($Folder, 'ProgramData/Amazon/EC2Launch/state/.run-once')) }
}

Describe 'enable-password-reset.ps1 disk handling (Storage cmdlets mocked)' {
    BeforeEach {
        . $script:ScriptPath
        $volumeId = 'vol-0123456789abcdef0'
        $helperDisk = New-Disk 0 'vol0aaaaaaaaaaaaaaaaa_00000001.' @{ IsOffline = $false; IsReadOnly = $false; IsBoot = $true; IsSystem = $true; PartitionStyle = 'GPT'; Guid = '{11111111-1111-1111-1111-111111111111}' }
        $target = New-Disk 1 'vol0123456789abcdef0_00000001.'
        $partition = [pscustomobject]@{ PartitionNumber = 1; DriveLetter = [char]0; Type = 'IFS' }
        $reserved = [pscustomobject]@{ PartitionNumber = 2; DriveLetter = [char]0; Type = 'Reserved' }
        $folder = [IO.Path]::Combine($TestDrive, [guid]::NewGuid().ToString('N'))
        New-WindowsVolume $folder
        $script:clock = [datetime]'2030-01-01T00:00:00Z'
        $script:visibleAfter = 0

        Mock Get-Date { $script:clock }
        Mock Start-Sleep { $script:clock = $script:clock.AddSeconds($Seconds) }
        Mock Get-Disk { if ($script:visibleAfter -gt 0) { $script:visibleAfter--; return @($helperDisk) }; @($helperDisk, $target) } -ParameterFilter { $null -eq $Number }
        Mock Get-Disk { @($helperDisk, $target) | Where-Object { $_.Number -eq $Number } } -ParameterFilter { $null -ne $Number }
        Mock Set-Disk {
            $disk = @($helperDisk, $target) | Where-Object { $_.Number -eq $Number }
            if ($null -ne $IsOffline) { $disk.IsOffline = $IsOffline }
            if ($null -ne $IsReadOnly) { $disk.IsReadOnly = $IsReadOnly }
        }
        Mock Get-Partition { @($partition, $reserved) | Where-Object { $null -eq $PartitionNumber -or $_.PartitionNumber -eq $PartitionNumber } }
        Mock Get-Volume { [pscustomobject]@{ FileSystem = 'NTFS' } }
        Mock Add-PartitionAccessPath { $partition.DriveLetter = [char]'E' }
        Mock Remove-PartitionAccessPath { $partition.DriveLetter = [char]0 }
        Mock Write-VolumeCache { }
        Mock Update-HostStorageCache { }
        Mock Get-PartitionRoot { $folder }
    }

    Context 'a reset that succeeds' {
        It 'finds the NVMe disk by serial, brings it online and writable, gives it a letter, edits, then undoes each of those' {
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 0 -Because $script:Result.error
            $script:Result.status | Should -Be 'ok'
            $script:Result.windowsVolume | Should -Be "$folder (disk 1, partition 1)"
            Get-ConfigText $folder | Should -Match 'type: random'
            Test-RunOnce $folder | Should -BeFalse
            Should -Invoke Set-Disk -Times 1 -Exactly -ParameterFilter { $Number -eq 1 -and $null -ne $IsOffline -and -not $IsOffline }
            Should -Invoke Set-Disk -Times 1 -Exactly -ParameterFilter { $Number -eq 1 -and $null -ne $IsReadOnly -and -not $IsReadOnly }
            Should -Invoke Set-Disk -Times 1 -Exactly -ParameterFilter { $Number -eq 1 -and $null -ne $IsReadOnly -and $IsReadOnly }
            Should -Invoke Set-Disk -Times 1 -Exactly -ParameterFilter { $Number -eq 1 -and $null -ne $IsOffline -and $IsOffline }
            Should -Invoke Set-Disk -Times 0 -Exactly -ParameterFilter { $Number -ne 1 }
            Should -Invoke Add-PartitionAccessPath -Times 1 -Exactly -ParameterFilter { $DiskNumber -eq 1 -and $PartitionNumber -eq 1 -and $AssignDriveLetter }
            Should -Invoke Remove-PartitionAccessPath -Times 1 -Exactly -ParameterFilter { $DiskNumber -eq 1 -and $PartitionNumber -eq 1 -and $AccessPath -eq 'E:\' }
            Should -Invoke Write-VolumeCache -Times 1 -Exactly -ParameterFilter { $DriveLetter -eq 'E' }
            Should -Invoke Get-Volume -Times 1 -Exactly
            $target.IsOffline | Should -BeTrue
            $target.IsReadOnly | Should -BeTrue
        }

        It 'leaves the read-only flag alone on a writable disk and a drive letter it did not add' {
            $target.IsReadOnly = $false
            $partition.DriveLetter = [char]'F'
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 0
            Should -Invoke Set-Disk -Times 0 -Exactly -ParameterFilter { $null -ne $IsReadOnly }
            Should -Invoke Add-PartitionAccessPath -Times 0 -Exactly
            Should -Invoke Remove-PartitionAccessPath -Times 0 -Exactly
            Should -Invoke Set-Disk -Times 1 -Exactly -ParameterFilter { $null -ne $IsOffline -and $IsOffline }
        }

        It 'finds a Xen disk by the SCSI target id of its device name (xvdf = 5)' {
            $target.SerialNumber = $null; $target.BusType = 'SCSI'; $helperDisk.BusType = 'SCSI'; $helperDisk.SerialNumber = $null
            Mock Get-CimInstance { @([pscustomobject]@{ Index = 0; SCSITargetId = 0 }, [pscustomobject]@{ Index = 1; SCSITargetId = 5 }) } -ParameterFilter { $ClassName -eq 'Win32_DiskDrive' }
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 0
            Should -Invoke Get-Disk -ParameterFilter { $Number -eq 1 }
            (Get-XenDeviceName 5) | Should -Be 'xvdf'
            (Get-XenDeviceName 25) | Should -Be 'xvdz'
        }

        It 'waits for the disk to appear, refreshing the storage cache' {
            $script:visibleAfter = 3
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 0
            Should -Invoke Update-HostStorageCache -Times 3
            Should -Invoke Start-Sleep -Times 3 -Exactly
        }
    }

    Context 'refused before the disk is touched' {
        It 'a disk that never appears: gives up after 120 s' {
            $script:visibleAfter = 1000
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 1
            $script:Result.error | Should -BeLike 'no disk of this helper is vol-0123456789abcdef0 (no NVMe serial number vol0123456789abcdef0, no Xen device xvdf) after 120 s'
            Should -Invoke Set-Disk -Times 0 -Exactly
        }

        It 'an MBR signature another disk of the helper has' {
            $helperDisk.PartitionStyle = 'MBR'; $helperDisk.Signature = $target.Signature
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 1
            $script:Result.error | Should -BeLike 'disk 1 (MBR id 00001001) collides with disk 0 on this helper*Use a helper of a different Windows Server version than the target'
            Should -Invoke Set-Disk -Times 0 -Exactly
            Should -Invoke Get-Partition -Times 0 -Exactly
        }

        It 'a GPT id another disk of the helper has' {
            $target.PartitionStyle = 'GPT'; $target.Guid = $helperDisk.Guid
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 1
            $script:Result.error | Should -BeLike 'disk 1 (GPT id {11111111-*) collides with disk 0*'
            Should -Invoke Set-Disk -Times 0 -Exactly
        }

        It 'a disk Windows keeps offline for a signature collision' {
            $target.OfflineReason = 'SignatureCollision'
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 1
            $script:Result.error | Should -BeLike '*offline reason: SignatureCollision*'
            Should -Invoke Set-Disk -Times 0 -Exactly
        }

        It "the helper's own boot disk" {
            $helperDisk.SerialNumber = 'vol0123456789abcdef0_00000001.'; $target.SerialNumber = 'other'
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 1
            $script:Result.error | Should -Be "disk 0 is this helper's own boot or system disk"
            Should -Invoke Set-Disk -Times 0 -Exactly
        }

        It 'a disk without a partition table' {
            $target.PartitionStyle = 'RAW'
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 1
            $script:Result.error | Should -BeLike 'disk 1 has no partition table (RAW)*'
            Should -Invoke Set-Disk -Times 0 -Exactly
        }

        It 'two disks with the serial number' {
            $helperDisk.SerialNumber = $target.SerialNumber
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 1
            $script:Result.error | Should -Be 'several disks carry the serial number vol0123456789abcdef0'
            Should -Invoke Set-Disk -Times 0 -Exactly
        }

        It 'bad arguments: exit 2, nothing looked at' {
            Invoke-Main 'vol-XYZ' 'xvdf' '' '' 540 | Should -Be 2
            Invoke-Main $volumeId 'xvdf' '/mnt/x' '' 540 | Should -Be 2
            Invoke-Main $volumeId 'xvdf' '' '' 0 | Should -Be 2
            Should -Invoke Get-Disk -Times 0 -Exactly
        }
    }

    Context 'the disk is closed again on every exit path after it was opened' {
        It 'an error: no Windows partition on the disk' {
            [IO.File]::Delete([IO.Path]::Combine($folder, 'Windows/System32/config/SYSTEM'))
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 1
            $script:Result.error | Should -BeLike 'expected one partition of disk 1 holding Windows\System32\config\SYSTEM, found 0*'
            Should -Invoke Remove-PartitionAccessPath -Times 1 -Exactly -ParameterFilter { $AccessPath -eq 'E:\' }
            Should -Invoke Set-Disk -Times 1 -Exactly -ParameterFilter { $null -ne $IsReadOnly -and $IsReadOnly }
            Should -Invoke Set-Disk -Times 1 -Exactly -ParameterFilter { $null -ne $IsOffline -and $IsOffline }
            $target.IsOffline | Should -BeTrue
        }

        It 'a refusal of the edits: nothing written, disk offline' {
            $path = [IO.Path]::Combine($folder, 'ProgramData/Amazon/EC2Launch/config/agent-config.yml')
            [IO.File]::WriteAllText($path, '{"version": "1.0"}')
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 1
            $script:Result.error | Should -BeLike '*the file is in JSON form*'
            [IO.File]::ReadAllText($path) | Should -Be '{"version": "1.0"}'
            Test-RunOnce $folder | Should -BeTrue
            Should -Invoke Set-Disk -Times 1 -Exactly -ParameterFilter { $null -ne $IsOffline -and $IsOffline }
            $target.IsOffline | Should -BeTrue
        }

        It 'the deadline: passed while partitions were read, so nothing is written and the disk goes offline' {
            Mock Get-Volume { $script:clock = $script:clock.AddSeconds(100); [pscustomobject]@{ FileSystem = 'NTFS' } }
            $before = Get-ConfigText $folder
            Invoke-Main $volumeId 'xvdf' '' '' 60 | Should -Be 1
            $script:Result.error | Should -Be "the script's deadline (60 s) passed before writing the changes"
            Get-ConfigText $folder | Should -Be $before
            Test-RunOnce $folder | Should -BeTrue
            Should -Invoke Remove-PartitionAccessPath -Times 1 -Exactly
            Should -Invoke Set-Disk -Times 1 -Exactly -ParameterFilter { $null -ne $IsOffline -and $IsOffline }
        }

        It 'the deadline: passed while waiting for the disk, which is never touched' {
            $script:visibleAfter = 1000
            Invoke-Main $volumeId 'xvdf' '' '' 30 | Should -Be 1
            $script:Result.error | Should -Be "the script's deadline (30 s) passed before the disk of vol-0123456789abcdef0 appeared"
            Should -Invoke Set-Disk -Times 0 -Exactly
        }

        It 'a failure to take the disk offline fails the run and says not to detach' {
            Mock Set-Disk { throw 'device busy' } -ParameterFilter { $null -ne $IsOffline -and $IsOffline }
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 1
            $script:Result.status | Should -Be 'error'
            $script:Result.error | Should -BeLike 'taking disk 1 offline: device busy (writes may not be flushed: do not detach the volume before it is offline)'
            Should -Invoke Remove-PartitionAccessPath -Times 1 -Exactly
        }

        It 'an error and then a failure while closing: both reported' {
            [IO.File]::Delete([IO.Path]::Combine($folder, 'Windows/System32/config/SYSTEM'))
            Mock Remove-PartitionAccessPath { throw 'access denied' }
            Invoke-Main $volumeId 'xvdf' '' '' 540 | Should -Be 1
            $script:Result.error | Should -BeLike 'expected one partition of disk 1*; also: removing drive letter E: access denied'
            Should -Invoke Set-Disk -Times 1 -Exactly -ParameterFilter { $null -ne $IsOffline -and $IsOffline }
        }
    }
}
