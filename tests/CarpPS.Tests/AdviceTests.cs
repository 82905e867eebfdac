using System.Reflection;

namespace CarpPS.Tests;

/// <summary>The module words its own advice (CarpPS.CarpAdvice): every refusal the engine can state has some.</summary>
public sealed class AdviceTests(ModuleFixture module)
{
    /// <summary>Codes whose generic advice is right: a bad argument of any kind, and a failure that is nobody's input.</summary>
    private static readonly string[] Generic = ["InvalidArgument", "ServiceError"];

    [Fact]
    public void Every_error_code_has_specific_advice_in_the_module()
    {
        // CarpAdvice is internal to the module, and the module is the copy PowerShell loaded from the layout.
        using var ps = new PsSession(module);
        var advice = AppDomain.CurrentDomain.GetAssemblies()
            .Single(a => a.GetName().Name == "CarpPS")
            .GetType("CarpPS.CarpAdvice", throwOnError: true)!;
        var forCode = advice.GetMethod("For", BindingFlags.Static | BindingFlags.Public)!;
        var codeType = forCode.GetParameters().Single().ParameterType;
        string For(object code) => (string)forCode.Invoke(null, [code])!;

        // The fallback is what an unknown code gets.
        var fallback = For(Enum.ToObject(codeType, -1));
        Assert.Equal(advice.GetField("Generic")!.GetValue(null), fallback);

        var codes = Enum.GetValues(codeType).Cast<object>().ToList();
        Assert.Contains(codes, c => c.ToString() == "InterfaceNotFound");
        var missing = codes.Where(c => !Generic.Contains(c.ToString()) && (string.IsNullOrWhiteSpace(For(c)) || For(c) == fallback)).ToList();
        Assert.True(missing.Count == 0, "CarpAdvice.For gives only the generic advice for " + string.Join(", ", missing));
    }
}
