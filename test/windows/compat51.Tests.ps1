# The helper runs enable-password-reset.ps1 (and the SSM document's command) in Windows
# PowerShell 5.1. These tests parse them with PowerShell's own parser and fail on any construct
# newer than 5.1 (about_Operators, about_Pipeline_Chain_Operators, about_Special_Characters,
# What's New in PowerShell 6/7): syntax, parameters of built-in cmdlets, and .NET members that
# .NET Framework 4.x lacks. The checker is itself tested on a sample of each construct.
# Run by test/windows/pester.test.ts (mocha); $env:WINDOWS_DOCUMENT_COMMAND names a file holding
# the document's runCommand.

BeforeAll {
    $script:ScriptPath = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '..', '..', 'scripts', 'windows', 'enable-password-reset.ps1'))

    # Cmdlet -> parameters added after 5.1.
    $script:NewParameters = @{
        'ForEach-Object'  = @('Parallel', 'ThrottleLimit', 'TimeoutSeconds', 'AsJob', 'UseNewRunspace')
        'ConvertFrom-Json' = @('AsHashtable', 'Depth', 'NoEnumerate', 'DateKind')
        'ConvertTo-Json'  = @('AsArray', 'EscapeHandling', 'EnumsAsStrings')
        'Join-Path'       = @('AdditionalChildPath', 'Extension')
        'Get-Content'     = @('AsByteStream')
        'Set-Content'     = @('AsByteStream', 'NoNewline')
        'Add-Content'     = @('AsByteStream')
        'Split-Path'      = @('Extension', 'LeafBase')
        'Select-Object'   = @('SkipIndex')
        'Out-String'      = @('NoNewline')
        'Test-Connection' = @('TargetName', 'TcpPort')
        'Invoke-WebRequest' = @('SkipCertificateCheck', 'Authentication', 'SslProtocol')
        'Where-Object'    = @('Not')
    }
    # Cmdlets that PowerShell 5.1 does not have.
    $script:NewCmdlets = @('Test-Json', 'Get-Error', 'Join-String', 'ConvertFrom-Markdown', 'Show-Markdown', 'Get-Uptime', 'Remove-Alias', 'Remove-Service', 'Clear-RecycleBin', 'ConvertTo-CliXml', 'ConvertFrom-CliXml', 'Get-PSSubsystem', 'Start-ThreadJob')
    # Static .NET members that only .NET Core / .NET 5+ (PowerShell 7) has, not .NET Framework 4.x.
    $script:NewStaticMembers = @{ 'IO.Path' = @('Join', 'GetRelativePath', 'EndsInDirectorySeparator', 'TrimEndingDirectorySeparator', 'Exists'); 'Convert' = @('ToHexString', 'FromHexString'); 'Random' = @('Shared') }

    # Every construct of $Text newer than Windows PowerShell 5.1, as "line N: what".
    function Find-NewerThan51([string]$Text) {
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Text, [ref]$tokens, [ref]$errors)
        $found = New-Object System.Collections.Generic.List[string]
        foreach ($parseError in $errors) { $found.Add("line $($parseError.Extent.StartLineNumber): parse error $($parseError.ErrorId)") }
        $all = $ast.FindAll({ $true }, $true)
        foreach ($node in $all) {
            $line = $node.Extent.StartLineNumber
            switch ($node.GetType().Name) {
                'TernaryExpressionAst' { $found.Add("line ${line}: ternary operator ?:") }
                'PipelineChainAst' { $found.Add("line ${line}: pipeline chain && or ||") }
                'BinaryExpressionAst' { if ([string]$node.Operator -eq 'QuestionQuestion') { $found.Add("line ${line}: null-coalescing ??") } }
                'AssignmentStatementAst' { if ([string]$node.Operator -eq 'QuestionQuestionEquals') { $found.Add("line ${line}: null-coalescing assignment ??=") } }
                'MemberExpressionAst' { if ($node.NullConditional) { $found.Add("line ${line}: null-conditional ?.") } }
                'InvokeMemberExpressionAst' { if ($node.NullConditional) { $found.Add("line ${line}: null-conditional ?.") } }
                'IndexExpressionAst' { if ($node.NullConditional) { $found.Add("line ${line}: null-conditional ?[]") } }
                'PipelineAst' { if ($node.Background) { $found.Add("line ${line}: background operator &") } }
                'ScriptBlockAst' { if ($null -ne $node.CleanBlock) { $found.Add("line ${line}: clean block") } }
                'CommandAst' { Find-NewCommandUse $node $found }
            }
            if ($node -is [System.Management.Automation.Language.MemberExpressionAst] -and $node.Member -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
                $member = $node.Member.Value
                if ($node.Static -and $node.Expression -is [System.Management.Automation.Language.TypeExpressionAst]) {
                    $type = $node.Expression.TypeName.FullName -replace '^System\.', ''
                    if ($script:NewStaticMembers.ContainsKey($type) -and $script:NewStaticMembers[$type] -contains $member) { $found.Add("line ${line}: [$type]::$member is .NET Core only") }
                } elseif (-not $node.Static -and @('LinkTarget', 'ResolveLinkTarget', 'ReplaceLineEndings') -contains $member) {
                    $found.Add("line ${line}: .$member is .NET Core only")
                }
            }
        }
        foreach ($token in $tokens) {
            if ([string]$token.Kind -eq 'StringExpandable' -and $token.Text -match '`u\{') { $found.Add("line $($token.Extent.StartLineNumber): escape ``u{} in a string") }
        }
        return ,$found
    }

    function Find-NewCommandUse($Command, $Found) {
        $name = $Command.GetCommandName()
        if ($null -eq $name) { return }
        $line = $Command.Extent.StartLineNumber
        if ($script:NewCmdlets -contains $name) { $Found.Add("line ${line}: cmdlet $name") }
        if (-not $script:NewParameters.ContainsKey($name)) { return }
        foreach ($element in $Command.CommandElements) {
            if ($element -isnot [System.Management.Automation.Language.CommandParameterAst]) { continue }
            foreach ($newer in $script:NewParameters[$name]) {
                if ($newer.StartsWith($element.ParameterName, [StringComparison]::OrdinalIgnoreCase)) { $Found.Add("line ${line}: $name -$($element.ParameterName)") }
            }
        }
        if ($name -eq 'Join-Path') {
            $positional = @($Command.CommandElements | Select-Object -Skip 1 | Where-Object { $_ -isnot [System.Management.Automation.Language.CommandParameterAst] })
            if ($positional.Count -gt 2) { $Found.Add("line ${line}: Join-Path with more than one child path") }
        }
    }
}

Describe 'the Windows PowerShell 5.1 checker' {
    It 'finds <What>' -ForEach @(
        @{ What = 'the ternary operator'; Code = '$a = $b ? 1 : 2' }
        @{ What = 'a pipeline chain &&'; Code = 'Get-Item x && Get-Item y' }
        @{ What = 'a pipeline chain ||'; Code = 'Get-Item x || Get-Item y' }
        @{ What = 'null-coalescing ??'; Code = '$a = $b ?? 1' }
        @{ What = 'null-coalescing assignment ??='; Code = '$a ??= 1' }
        @{ What = 'null-conditional member access'; Code = '${a}?.Length' }
        @{ What = 'null-conditional method call'; Code = '${a}?.Trim()' }
        @{ What = 'null-conditional index'; Code = '${a}?[0]' }
        @{ What = 'the background operator'; Code = 'Get-Process &' }
        @{ What = 'a clean block'; Code = 'function f { process { 1 } clean { 2 } }' }
        @{ What = 'a `u{} escape'; Code = '$a = "`u{2195}"' }
        @{ What = 'ForEach-Object -Parallel'; Code = '1..2 | ForEach-Object -Parallel { $_ }' }
        @{ What = 'ConvertFrom-Json -AsHashtable'; Code = 'ConvertFrom-Json -InputObject $j -AsHashtable' }
        @{ What = 'Get-Content -AsByteStream'; Code = 'Get-Content -Path x -AsByteStream' }
        @{ What = 'Join-Path with several children'; Code = 'Join-Path a b c' }
        @{ What = 'Test-Json'; Code = 'Test-Json -Json $j' }
        @{ What = '[IO.Path]::Join'; Code = '[IO.Path]::Join("a", "b")' }
        @{ What = '[System.IO.Path]::GetRelativePath'; Code = '[System.IO.Path]::GetRelativePath("a", "b")' }
        @{ What = '.LinkTarget'; Code = '(Get-Item x).LinkTarget' }
    ) {
        (Find-NewerThan51 $Code).Count | Should -BeGreaterThan 0
    }

    It 'accepts what 5.1 has (classes, ::new, [ordered], if/else, -and/-or, [IO.Path]::Combine)' {
        $code = @'
class Box { [int]$Size }
$list = [System.Collections.Generic.List[string]]::new()
$map = [ordered]@{ a = 1 }
if ($a -and $b -or -not $c) { $x = 1 } else { $x = 2 }
$p = [IO.Path]::Combine('a', 'b')
$s = "tab`tnew`n"
'@
        Find-NewerThan51 $code | Should -BeNullOrEmpty
    }
}

Describe 'enable-password-reset.ps1 in Windows PowerShell 5.1' {
    It 'uses no syntax, cmdlet, parameter or .NET member newer than 5.1' {
        Find-NewerThan51 (Get-Content -Raw -LiteralPath $script:ScriptPath) | Should -BeNullOrEmpty
    }

    It 'is ASCII, so that 5.1 reading a BOM-less file as ANSI sees the same text' {
        [regex]::Matches([IO.File]::ReadAllText($script:ScriptPath, [Text.Encoding]::GetEncoding(28591)), '[^\x09\x0a\x0d\x20-\x7e]').Count | Should -Be 0
    }
}

Describe "the SSM document's command in Windows PowerShell 5.1" {
    It 'uses no syntax, cmdlet, parameter or .NET member newer than 5.1' {
        if (-not $env:WINDOWS_DOCUMENT_COMMAND) { Set-ItResult -Skipped -Because 'WINDOWS_DOCUMENT_COMMAND is not set (test/windows/pester.test.ts sets it)' ; return }
        Find-NewerThan51 (Get-Content -Raw -LiteralPath $env:WINDOWS_DOCUMENT_COMMAND) | Should -BeNullOrEmpty
    }
}
