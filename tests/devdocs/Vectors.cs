// The tests' harness for the C# samples (docs/developers/samples/*.cs): one computation per call, its result on
// stdout. Compiled with LightSpeedPay.cs, WebhookVerifier.cs and PaymentSignature.cs.
//   sign SECRET TIMESTAMP METHOD PATH BODY             -> the hex signature
//   webhook SECRET ID TIMESTAMP SIGNATURES BODY NOW    -> "verified", or the verifier's refusal
//   payment SECRET ORDER_ID PAYMENT_ID SIGNATURE       -> True or False
using System;
using System.Text;

static class Vectors
{
    static int Main(string[] args)
    {
        switch (args[0])
        {
            case "sign":
                Console.WriteLine(LspSigning.Sign(args[1], args[2], args[3], args[4], args[5]));
                return 0;
            case "webhook":
                try
                {
                    WebhookVerifier.Verify(args[1], args[2], args[3], args[4], Encoding.UTF8.GetBytes(args[5]),
                                           DateTimeOffset.FromUnixTimeSeconds(long.Parse(args[6])));
                    Console.WriteLine("verified");
                }
                catch (WebhookVerificationException refused)
                {
                    Console.WriteLine("refused: " + refused.Message);
                }
                return 0;
            case "payment":
                Console.WriteLine(PaymentSignature.Verify(args[1], args[2], args[3], args[4]));
                return 0;
        }
        return 2;
    }
}
