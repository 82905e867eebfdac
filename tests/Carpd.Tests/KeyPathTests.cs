using System.Reflection;
using System.Text;
using System.Text.Json;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Carpd.Configuration;

namespace Carpd.Tests;

/// <summary>
/// The key stays bytes from the cmdlet, the socket or the configuration file to the HMAC: no public
/// member hands out the bytes, and the socket and the file carry them as base64, pass or passhex.
/// </summary>
public sealed class KeyPathTests : IDisposable
{
    private static readonly byte[] Binary = [0xff, 0x00, 0x01, 0x80, 0x7f, 0x0a, 0x20, 0x23, 0x09, 0xfe];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<byte[]> Keys() => new()
    {
        Encoding.UTF8.GetBytes("lanpasswd"),
        Encoding.UTF8.GetBytes("pässwörd€"),   // non-ASCII text: a pass WORD in the file
        Binary,                                 // not text: passhex in the file
        Encoding.UTF8.GetBytes("with space\t#"),
        Enumerable.Range(1, CarpKey.MaxRawKeyBytes).Select(i => (byte)(i * 13)).ToArray(),
    };

    [Fact]
    public void CarpKey_has_no_public_member_that_returns_its_bytes()
    {
        Type[] byteViews = [typeof(byte[]), typeof(Span<byte>), typeof(ReadOnlySpan<byte>), typeof(Memory<byte>), typeof(ReadOnlyMemory<byte>), typeof(IEnumerable<byte>)];
        var members = typeof(CarpKey).GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static);

        Assert.NotEmpty(members);
        foreach (var member in members)
        {
            Type[] exposed = member switch
            {
                MethodInfo method => [method.ReturnType, .. method.GetParameters().Where(p => p.IsOut || p.ParameterType.IsByRef).Select(p => p.ParameterType.GetElementType()!)],
                PropertyInfo property => [property.PropertyType],
                FieldInfo field => [field.FieldType],
                _ => Array.Empty<Type>(),
            };
            Assert.DoesNotContain(exposed, byteViews.Contains);
        }
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void The_createInterface_params_carry_the_key_as_base64_of_its_bytes_and_read_it_back(byte[] bytes)
    {
        var key = CarpKey.FromRawKey(bytes);
        var config = new VirtualHostConfig { Name = "carp1", Vhid = 1, CarpDev = "eth0", Key = key };

        var json = JsonSerializer.Serialize(ControlMapper.ToDto(config), CarpdJsonContext.Default.InterfaceConfigDto);

        using (var document = JsonDocument.Parse(json))
        {
            Assert.Equal(Convert.ToBase64String(bytes), document.RootElement.GetProperty("pass").GetString());
        }

        var read = ControlMapper.FromDto(JsonSerializer.Deserialize(json, CarpdJsonContext.Default.InterfaceConfigDto)!);
        Assert.Equal(key, read.Key);
    }

    [Fact]
    public void The_setInterface_params_carry_a_new_key_and_an_empty_pass_means_no_pass()
    {
        var change = new InterfaceChange { Key = CarpKey.FromRawKey(Binary) };
        var json = JsonSerializer.Serialize(ControlMapper.ToDto(change, "carp1"), CarpdJsonContext.Default.InterfaceChangeDto);
        Assert.Contains($"\"pass\":\"{Convert.ToBase64String(Binary)}\"", json, StringComparison.Ordinal);
        Assert.Equal(change.Key, ControlMapper.FromDto(JsonSerializer.Deserialize(json, CarpdJsonContext.Default.InterfaceChangeDto)!).Change.Key);

        json = JsonSerializer.Serialize(ControlMapper.ToDto(new InterfaceChange { Key = CarpKey.Empty }, "carp1"), CarpdJsonContext.Default.InterfaceChangeDto);
        Assert.Contains("\"pass\":\"\"", json, StringComparison.Ordinal);
        Assert.Equal(CarpKey.Empty, ControlMapper.FromDto(JsonSerializer.Deserialize(json, CarpdJsonContext.Default.InterfaceChangeDto)!).Change.Key);

        json = JsonSerializer.Serialize(ControlMapper.ToDto(new InterfaceChange { AdvSkew = 1 }, "carp1"), CarpdJsonContext.Default.InterfaceChangeDto);
        Assert.DoesNotContain("pass", json, StringComparison.Ordinal);
        Assert.Null(ControlMapper.FromDto(JsonSerializer.Deserialize(json, CarpdJsonContext.Default.InterfaceChangeDto)!).Change.Key);
    }

    [Theory]
    [InlineData("""{"name":"carp1","pass":"\u002F/8AAQ=="}""")]       // an escaped '/' as a JSON writer may send it
    [InlineData("""{"name":"carp1","pass":"//8A AQ==\n"}""")]          // white space, as Convert.FromBase64String allows
    public void Escaped_or_spaced_base64_is_read_as_the_same_key(string json)
    {
        var change = ControlMapper.FromDto(JsonSerializer.Deserialize(json, CarpdJsonContext.Default.InterfaceChangeDto)!).Change;

        Assert.Equal(CarpKey.FromRawKey([0xff, 0xff, 0x00, 0x01]), change.Key);
    }

    [Theory]
    [InlineData("""{"name":"carp1","pass":"not base64!"}""")]
    [InlineData("""{"name":"carp1","pass":"AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}""")] // 21 bytes
    public void A_pass_that_is_not_a_key_is_refused_as_InvalidPass_without_showing_it(string json)
    {
        var dto = JsonSerializer.Deserialize(json, CarpdJsonContext.Default.InterfaceChangeDto)!;

        var ex = Assert.Throws<CarpException>(() => ControlMapper.FromDto(dto));

        Assert.Equal(CarpErrorCode.InvalidPass, ex.Code);
        Assert.DoesNotContain("base64!", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("AAAA", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("AAAA", dto.Pass!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_pass_that_is_not_a_string_is_a_JSON_error()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"name":"carp1","pass":["AA=="]}""", CarpdJsonContext.Default.InterfaceChangeDto));
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void Save_and_Load_round_trip_the_key(byte[] bytes)
    {
        var key = CarpKey.FromRawKey(bytes);
        var path = _dir.File("carpd.conf");
        var configuration = CarpdConfiguration.Empty.WithInterface(new VirtualHostConfig { Name = "carp1", Vhid = 1, CarpDev = "eth0", Key = key });

        configuration.Save(path);

        Assert.Equal(key, Assert.Single(CarpdConfiguration.Load(path).Interfaces).Key);
        var line = File.ReadAllLines(path).Single(l => l.StartsWith("carp1 ", StringComparison.Ordinal));
        var isWord = bytes.Length <= CarpKey.MaxPassphraseBytes && Encoding.UTF8.GetString(bytes) is var text &&
            !text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '\uFFFD');
        Assert.Equal(isWord ? "carp1 vhid 1 carpdev eth0 pass " + Encoding.UTF8.GetString(bytes) : "carp1 vhid 1 carpdev eth0 passhex " + Convert.ToHexStringLower(bytes), line);
    }

    [Fact]
    public void A_passfile_key_is_read_from_the_files_bytes()
    {
        _dir.Write("lan.pass", "pässwörd€\r\nsecond line\n");
        var path = _dir.Write("carpd.conf", "carp1 vhid 1 carpdev eth0 passfile lan.pass\n");

        Assert.Equal(CarpKey.FromPassphrase("pässwörd€"), Assert.Single(CarpdConfiguration.Load(path).Interfaces).Key);
    }
}
