using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace CarpPS.Tests;

/// <summary>A PSHost that records what Out-Default renders and answers confirmation prompts as told.</summary>
public sealed class TestHost : PSHost
{
    private readonly TestHostUserInterface _ui = new();

    public override string Name => "CarpPS.Tests";

    public override Version Version => new(1, 0);

    public override Guid InstanceId { get; } = Guid.NewGuid();

    public override PSHostUserInterface UI => _ui;

    public TestHostUserInterface TestUI => _ui;

    public override CultureInfo CurrentCulture => CultureInfo.GetCultureInfo("en-US");

    public override CultureInfo CurrentUICulture => CultureInfo.GetCultureInfo("en-US");

    public override void EnterNestedPrompt() => throw new NotSupportedException();

    public override void ExitNestedPrompt() => throw new NotSupportedException();

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }

    public override void SetShouldExit(int exitCode)
    {
    }
}

public sealed class TestHostUserInterface : PSHostUserInterface
{
    private readonly StringBuilder _text = new();
    private readonly Lock _gate = new();

    public override PSHostRawUserInterface RawUI { get; } = new TestRawUserInterface();

    /// <summary>Everything written to the host (rendered output, and warning/verbose/error lines), ANSI stripped.</summary>
    public string Text
    {
        get
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>The questions PromptForChoice was asked (ShouldContinue, -Confirm).</summary>
    public List<string> Prompts { get; } = [];

    /// <summary>What PromptForChoice answers: true picks the first choice whose label starts with "&amp;Yes", false one that starts with "&amp;No".</summary>
    public bool AnswerYes { get; set; }

    /// <summary>Prompts fail as under pwsh -NonInteractive (ConsoleHost's "Read and Prompt functionality is not available").</summary>
    public bool NonInteractive { get; set; }

    public void Clear()
    {
        lock (_gate)
        {
            _text.Clear();
        }

        Prompts.Clear();
    }

    public override void Write(string value) => Append(value);

    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Append(value);

    public override void WriteLine(string value) => Append(value + "\n");

    public override void WriteErrorLine(string value) => Append("ERROR: " + value + "\n");

    public override void WriteDebugLine(string message) => Append("DEBUG: " + message + "\n");

    public override void WriteProgress(long sourceId, ProgressRecord record)
    {
    }

    public override void WriteVerboseLine(string message) => Append("VERBOSE: " + message + "\n");

    public override void WriteWarningLine(string message) => Append("WARNING: " + message + "\n");

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) =>
        throw new NotSupportedException("The tests answer no free-form prompts.");

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        if (NonInteractive)
        {
            throw new PSInvalidOperationException("PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.");
        }

        Prompts.Add($"{caption}: {message}");
        var wanted = AnswerYes ? "&Yes" : "&No";
        for (var i = 0; i < choices.Count; i++)
        {
            if (choices[i].Label.StartsWith(wanted, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return defaultChoice;
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        throw new NotSupportedException();

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
        PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw new NotSupportedException();

    public override string ReadLine() => string.Empty;

    public override SecureString ReadLineAsSecureString() => throw new NotSupportedException();

    private void Append(string value)
    {
        lock (_gate)
        {
            _text.Append(GetOutputString(value, false));
        }
    }
}

public sealed class TestRawUserInterface : PSHostRawUserInterface
{
    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;

    public override Size BufferSize { get; set; } = new(160, 1000);

    public override Coordinates CursorPosition { get; set; }

    public override int CursorSize { get; set; }

    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.White;

    public override bool KeyAvailable => false;

    public override Size MaxPhysicalWindowSize => new(160, 1000);

    public override Size MaxWindowSize => new(160, 1000);

    public override Coordinates WindowPosition { get; set; }

    public override Size WindowSize { get; set; } = new(160, 50);

    public override string WindowTitle { get; set; } = string.Empty;

    public override void FlushInputBuffer()
    {
    }

    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException();

    public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException();

    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) =>
        throw new NotSupportedException();

    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) => throw new NotSupportedException();

    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) => throw new NotSupportedException();
}
