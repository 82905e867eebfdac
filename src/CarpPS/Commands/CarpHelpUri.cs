namespace CarpPS.Commands;

/// <summary>
/// Where Get-Help -Online sends users: each cmdlet's help source, src/CarpPS/Help/&lt;Verb-Noun&gt;.md, in the project's
/// repository. The repository's address is written once, here (a placeholder until the project has a public home).
/// </summary>
internal static class CarpHelpUri
{
    /// <summary>The repository's address of src/CarpPS/Help/; a cmdlet's HelpUri is this followed by "&lt;Verb-Noun&gt;.md".</summary>
    public const string Base = "https://github.com/carpps/CarpPS/blob/main/src/CarpPS/Help/";
}
