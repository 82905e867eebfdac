using System.Text.Json.Serialization;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Control;

/// <summary>
/// The <c>pass</c> field of createInterface and setInterface: a <see cref="CarpKey"/> that
/// <see cref="PassJsonConverter"/> writes as base64 straight from the key bytes and reads straight
/// into them, never through a managed string (docs/carpd-protocol.md#passes). A pass that cannot be
/// a key is kept as its problem, so that it is refused in field order with the other checks.
/// </summary>
[JsonConverter(typeof(PassJsonConverter))]
internal sealed class PassDto
{
    private readonly CarpKey? _key;
    private readonly PassProblem _problem;

    public PassDto(CarpKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
    }

    private PassDto(PassProblem problem) => _problem = problem;

    internal enum PassProblem
    {
        None,
        NotBase64,
        TooLong,
    }

    public static PassDto NotBase64 { get; } = new(PassProblem.NotBase64);

    public static PassDto TooLong { get; } = new(PassProblem.TooLong);

    /// <summary>The key, or the <see cref="CarpErrorCode.InvalidPass"/> refusal; never shows the pass.</summary>
    public CarpKey ToKey() => _problem switch
    {
        PassProblem.None => _key!,
        PassProblem.NotBase64 => throw new CarpException(CarpErrorCode.InvalidPass, "pass is not base64 of the key bytes."),
        _ => throw new CarpException(CarpErrorCode.InvalidPass,
            $"pass is longer than a CARP key: at most {CarpKey.MaxRawKeyBytes} bytes (a passphrase at most {CarpKey.MaxPassphraseBytes})."),
    };

    /// <summary>For writing: only a holder of a key can be written.</summary>
    internal CarpKey Key => _key ?? throw new InvalidOperationException("A refused pass cannot be sent.");

    // Holds key material: never render it.
    public override string ToString() => _key?.ToString() ?? "(invalid pass)";
}
