import Foundation

/// camt.053/054 files for `CamtParserTests`, written by hand after the ISO 20022 message
/// definitions (versions 02, 04 and 08). Embedded as literals because the test target declares
/// no resources.
enum CamtFixtures {
    /// A fixture file of `Tests/Fixtures`, shared with the integration tests.
    static func fixture(_ name: String) -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/" + name)
        return try! String(contentsOf: url, encoding: .utf8)
    }

    /// camt.053.001.02: one credit transfer in (Ustrd + Strd RF reference, `Dbtr/Nm`, IBAN, `BIC`,
    /// `Dt` dates, amount only in `AmtDtls/TxAmt`) and the monthly account fee; v02-style summary.
    static let statement02 = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
          <BkToCstmrStmt>
            <GrpHdr>
              <MsgId>MSG-20261127-0001</MsgId>
              <CreDtTm>2026-11-27T18:00:00</CreDtTm>
            </GrpHdr>
            <Stmt>
              <Id>STMT-2026-11-27-001</Id>
              <ElctrncSeqNb>231</ElctrncSeqNb>
              <CreDtTm>2026-11-27T18:00:00</CreDtTm>
              <Acct>
                <Id><IBAN>DE89370400440532013000</IBAN></Id>
                <Ccy>EUR</Ccy>
                <Svcr><FinInstnId><BIC>COBADEFFXXX</BIC></FinInstnId></Svcr>
              </Acct>
              <Bal>
                <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
                <Amt Ccy="EUR">10000.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Dt><Dt>2026-11-26</Dt></Dt>
              </Bal>
              <Bal>
                <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
                <Amt Ccy="EUR">11225.50</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Dt><Dt>2026-11-27</Dt></Dt>
              </Bal>
              <TxsSummry>
                <TtlNtries>
                  <NbOfNtries>2</NbOfNtries>
                  <Sum>1274.50</Sum>
                  <TtlNetNtryAmt>1225.50</TtlNetNtryAmt>
                  <CdtDbtInd>CRDT</CdtDbtInd>
                </TtlNtries>
                <TtlCdtNtries><NbOfNtries>1</NbOfNtries><Sum>1250.00</Sum></TtlCdtNtries>
                <TtlDbtNtries><NbOfNtries>1</NbOfNtries><Sum>24.50</Sum></TtlDbtNtries>
              </TxsSummry>
              <Ntry>
                <Amt Ccy="EUR">1250.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Sts>BOOK</Sts>
                <BookgDt><Dt>2026-11-27</Dt></BookgDt>
                <ValDt><Dt>2026-11-26</Dt></ValDt>
                <AcctSvcrRef>2026112712345678</AcctSvcrRef>
                <BkTxCd>
                  <Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn>
                  <Prtry><Cd>NTRF+166</Cd><Issr>DK</Issr></Prtry>
                </BkTxCd>
                <NtryDtls>
                  <TxDtls>
                    <Refs>
                      <MsgId>GLOBEX-PAY-8812</MsgId>
                      <EndToEndId>E2E-INV-2026-000123</EndToEndId>
                    </Refs>
                    <AmtDtls><TxAmt><Amt Ccy="EUR">1250.00</Amt></TxAmt></AmtDtls>
                    <RltdPties>
                      <Dbtr>
                        <Nm>Globex SARL</Nm>
                        <PstlAdr><Ctry>FR</Ctry></PstlAdr>
                      </Dbtr>
                      <DbtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></DbtrAcct>
                    </RltdPties>
                    <RltdAgts><DbtrAgt><FinInstnId><BIC>AGRIFRPPXXX</BIC></FinInstnId></DbtrAgt></RltdAgts>
                    <RmtInf>
                      <Ustrd>INV-2026-000123</Ustrd>
                      <Ustrd>Order SO-77 &amp; SO-78</Ustrd>
                      <Strd>
                        <CdtrRefInf>
                          <Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp>
                          <Ref>RF18539007547034</Ref>
                        </CdtrRefInf>
                      </Strd>
                    </RmtInf>
                  </TxDtls>
                </NtryDtls>
              </Ntry>
              <Ntry>
                <NtryRef>CHG-2026-11</NtryRef>
                <Amt Ccy="EUR">24.50</Amt>
                <CdtDbtInd>DBIT</CdtDbtInd>
                <Sts>BOOK</Sts>
                <BookgDt><Dt>2026-11-27</Dt></BookgDt>
                <ValDt><Dt>2026-11-27</Dt></ValDt>
                <BkTxCd>
                  <Domn><Cd>ACMT</Cd><Fmly><Cd>MDOP</Cd><SubFmlyCd>CHRG</SubFmlyCd></Fmly></Domn>
                  <Prtry><Cd>NCHG+805</Cd></Prtry>
                </BkTxCd>
                <AddtlNtryInf>Account maintenance fee November 2026</AddtlNtryInf>
              </Ntry>
            </Stmt>
          </BkToCstmrStmt>
        </Document>
        """

    /// camt.053.001.04: a batch credit of three transfers (`BICFI`, `DtTm` in +01:00 just after
    /// midnight, one amount only in `AmtDtls`, an `Othr` payer account, NOTPROVIDED end-to-end id)
    /// and the reversal of an earlier credit.
    static let statement04 = fixture("camt.053.001.04-batch.xml")

    /// camt.053.001.08 with two statements (`Sts/Cd`, `Dbtr/Pty/Nm`) whose summaries and balances
    /// match. The second, in USD on an `Othr` account, has a pending entry (left out) and an INFO
    /// entry (kept, not booked); its summary counts the pending entry.
    static let twoStatements08 = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
          <BkToCstmrStmt>
            <GrpHdr>
              <MsgId>COBA-20261127-88</MsgId>
              <CreDtTm>2026-11-27T22:00:00+01:00</CreDtTm>
            </GrpHdr>
            <Stmt>
              <Id>STMT-A-2026-11-27</Id>
              <Acct>
                <Id><IBAN>DE89370400440532013000</IBAN></Id>
                <Ccy>EUR</Ccy>
              </Acct>
              <Bal>
                <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
                <Amt Ccy="EUR">1000.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Dt><Dt>2026-11-27</Dt></Dt>
              </Bal>
              <Bal>
                <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
                <Amt Ccy="EUR">1480.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Dt><Dt>2026-11-27</Dt></Dt>
              </Bal>
              <TxsSummry>
                <TtlNtries>
                  <NbOfNtries>2</NbOfNtries>
                  <Sum>520.00</Sum>
                  <TtlNetNtry><Amt>480.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></TtlNetNtry>
                </TtlNtries>
                <TtlCdtNtries><NbOfNtries>1</NbOfNtries><Sum>500.00</Sum></TtlCdtNtries>
                <TtlDbtNtries><NbOfNtries>1</NbOfNtries><Sum>20.00</Sum></TtlDbtNtries>
              </TxsSummry>
              <Ntry>
                <NtryRef>A-1</NtryRef>
                <Amt Ccy="EUR">500.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Sts><Cd>BOOK</Cd></Sts>
                <BookgDt><Dt>2026-11-27</Dt></BookgDt>
                <ValDt><Dt>2026-11-27</Dt></ValDt>
                <AcctSvcrRef>COBA-5500123</AcctSvcrRef>
                <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
                <NtryDtls>
                  <TxDtls>
                    <Refs><EndToEndId>E2E-A1</EndToEndId></Refs>
                    <Amt Ccy="EUR">500.00</Amt>
                    <CdtDbtInd>CRDT</CdtDbtInd>
                    <RltdPties>
                      <Dbtr><Pty><Nm>Globex SARL</Nm></Pty></Dbtr>
                      <DbtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></DbtrAcct>
                    </RltdPties>
                    <RltdAgts><DbtrAgt><FinInstnId><BICFI>AGRIFRPPXXX</BICFI></FinInstnId></DbtrAgt></RltdAgts>
                    <RmtInf><Ustrd>INV-2026-000300</Ustrd></RmtInf>
                  </TxDtls>
                </NtryDtls>
              </Ntry>
              <Ntry>
                <NtryRef>A-2</NtryRef>
                <Amt Ccy="EUR">20.00</Amt>
                <CdtDbtInd>DBIT</CdtDbtInd>
                <Sts><Cd>BOOK</Cd></Sts>
                <BookgDt><Dt>2026-11-27</Dt></BookgDt>
                <ValDt><Dt>2026-11-27</Dt></ValDt>
                <BkTxCd><Prtry><Cd>FEE</Cd><Issr>COBA</Issr></Prtry></BkTxCd>
                <AddtlNtryInf>Returned direct debit fee</AddtlNtryInf>
              </Ntry>
            </Stmt>
            <Stmt>
              <Id>STMT-B-2026-11-27</Id>
              <Acct>
                <Id><Othr><Id>ACC-778899</Id></Othr></Id>
                <Ccy>USD</Ccy>
              </Acct>
              <Bal>
                <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
                <Amt Ccy="USD">2000.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Dt><Dt>2026-11-27</Dt></Dt>
              </Bal>
              <Bal>
                <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
                <Amt Ccy="USD">3000.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Dt><Dt>2026-11-27</Dt></Dt>
              </Bal>
              <TxsSummry>
                <TtlNtries><NbOfNtries>3</NbOfNtries><Sum>1080.00</Sum></TtlNtries>
                <TtlCdtNtries><NbOfNtries>3</NbOfNtries><Sum>1080.00</Sum></TtlCdtNtries>
              </TxsSummry>
              <Ntry>
                <Amt Ccy="USD">1000.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Sts><Cd>BOOK</Cd></Sts>
                <BookgDt><Dt>2026-11-27</Dt></BookgDt>
                <ValDt><Dt>2026-11-27</Dt></ValDt>
                <NtryDtls>
                  <TxDtls>
                    <Refs><EndToEndId>PO-4711-PAY</EndToEndId></Refs>
                    <Amt Ccy="USD">1000.00</Amt>
                    <CdtDbtInd>CRDT</CdtDbtInd>
                    <RltdPties>
                      <Dbtr><Pty><Nm>Acme Inc.</Nm></Pty></Dbtr>
                      <DbtrAcct><Id><Othr><Id>026009593-1122</Id></Othr></Id></DbtrAcct>
                    </RltdPties>
                    <RmtInf>
                      <Strd><RfrdDocInf><Nb>INV-2026-000301</Nb></RfrdDocInf></Strd>
                    </RmtInf>
                  </TxDtls>
                </NtryDtls>
              </Ntry>
              <Ntry>
                <Amt Ccy="USD">75.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Sts><Cd>PDNG</Cd></Sts>
                <ValDt><Dt>2026-11-30</Dt></ValDt>
              </Ntry>
              <Ntry>
                <Amt Ccy="USD">5.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Sts><Cd>INFO</Cd></Sts>
                <ValDt><Dt>2026-11-28</Dt></ValDt>
                <AddtlNtryInf>Interest adjustment advice</AddtlNtryInf>
              </Ntry>
            </Stmt>
          </BkToCstmrStmt>
        </Document>
        """

    /// `twoStatements08` with a wrong entry count and credit sum in statement A and a closing
    /// balance in statement B that its entries do not reach.
    static let twoStatements08WrongTotals = twoStatements08
        .replacingOnce("<NbOfNtries>2</NbOfNtries>", with: "<NbOfNtries>3</NbOfNtries>")
        .replacingOnce("<Sum>500.00</Sum>", with: "<Sum>550.00</Sum>")
        .replacingOnce("<Amt Ccy=\"USD\">3000.00</Amt>", with: "<Amt Ccy=\"USD\">3100.00</Amt>")

    /// camt.054.001.08: one credit notification in CHF with 2.50 charges (a total and its two
    /// records), `Dbtr/Pty/Nm`, an `Othr` payer account and a NOTPROVIDED end-to-end id.
    static let notification08 = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
          <BkToCstmrDbtCdtNtfctn>
            <GrpHdr>
              <MsgId>UBS-NTF-20261127-1</MsgId>
              <CreDtTm>2026-11-27T14:02:11+01:00</CreDtTm>
            </GrpHdr>
            <Ntfctn>
              <Id>NTF-2026-11-27-01</Id>
              <CreDtTm>2026-11-27T14:02:11+01:00</CreDtTm>
              <Acct>
                <Id><IBAN>CH9300762011623852957</IBAN></Id>
                <Ccy>CHF</Ccy>
              </Acct>
              <Ntry>
                <NtryRef>N-5521</NtryRef>
                <Amt Ccy="CHF">980.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Sts><Cd>BOOK</Cd></Sts>
                <BookgDt><Dt>2026-11-27</Dt></BookgDt>
                <ValDt><Dt>2026-11-27</Dt></ValDt>
                <AcctSvcrRef>NTF-REF-1</AcctSvcrRef>
                <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>AUTT</SubFmlyCd></Fmly></Domn></BkTxCd>
                <Chrgs>
                  <TtlChrgsAndTaxAmt Ccy="CHF">2.50</TtlChrgsAndTaxAmt>
                  <Rcrd>
                    <Amt Ccy="CHF">1.50</Amt>
                    <CdtDbtInd>DBIT</CdtDbtInd>
                    <Tp><Cd>COMM</Cd></Tp>
                  </Rcrd>
                  <Rcrd>
                    <Amt Ccy="CHF">1.00</Amt>
                    <CdtDbtInd>DBIT</CdtDbtInd>
                    <Tp><Cd>CABLE</Cd></Tp>
                  </Rcrd>
                </Chrgs>
                <NtryDtls>
                  <TxDtls>
                    <Refs>
                      <AcctSvcrRef>TX-5521</AcctSvcrRef>
                      <EndToEndId>NOTPROVIDED</EndToEndId>
                    </Refs>
                    <Amt Ccy="CHF">980.00</Amt>
                    <CdtDbtInd>CRDT</CdtDbtInd>
                    <RltdPties>
                      <Dbtr><Pty><Nm>Vandelay Industries AG</Nm></Pty></Dbtr>
                      <DbtrAcct><Id><Othr><Id>12-345678-9</Id></Othr></Id></DbtrAcct>
                    </RltdPties>
                    <RmtInf>
                      <Strd>
                        <CdtrRefInf>
                          <Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>
                          <Ref>RF712348231</Ref>
                        </CdtrRefInf>
                      </Strd>
                    </RmtInf>
                  </TxDtls>
                </NtryDtls>
              </Ntry>
            </Ntfctn>
          </BkToCstmrDbtCdtNtfctn>
        </Document>
        """

    /// camt.053.001.08 with three simple credits; the second has `secondAmount` in `secondCurrency`.
    static func threeEntries(secondAmount: String, secondCurrency: String = "EUR") -> String {
        let entry = { (ref: String, amount: String, currency: String) in
            """
                  <Ntry>
                    <NtryRef>\(ref)</NtryRef>
                    <Amt Ccy="\(currency)">\(amount)</Amt>
                    <CdtDbtInd>CRDT</CdtDbtInd>
                    <Sts><Cd>BOOK</Cd></Sts>
                    <BookgDt><Dt>2026-11-27</Dt></BookgDt>
                    <ValDt><Dt>2026-11-27</Dt></ValDt>
                  </Ntry>
            """
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
              <BkToCstmrStmt>
                <GrpHdr><MsgId>M-3</MsgId><CreDtTm>2026-11-27T22:00:00Z</CreDtTm></GrpHdr>
                <Stmt>
                  <Id>STMT-3</Id>
                  <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
            \(entry("E-1", "100.00", "EUR"))
            \(entry("E-2", secondAmount, secondCurrency))
            \(entry("E-3", "300.00", "EUR"))
                </Stmt>
              </BkToCstmrStmt>
            </Document>
            """
    }

    /// camt.053.001.08 with a batch of three whose second transaction's amount is `abc`, and whose
    /// first transaction carries its own charges.
    static let batchWithBadTransaction = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
          <BkToCstmrStmt>
            <GrpHdr><MsgId>M-B</MsgId><CreDtTm>2026-11-27T22:00:00Z</CreDtTm></GrpHdr>
            <Stmt>
              <Id>STMT-BATCH</Id>
              <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
              <Ntry>
                <NtryRef>B-9</NtryRef>
                <Amt Ccy="EUR">60.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Sts><Cd>BOOK</Cd></Sts>
                <BookgDt><Dt>2026-11-27</Dt></BookgDt>
                <ValDt><Dt>2026-11-27</Dt></ValDt>
                <NtryDtls>
                  <TxDtls>
                    <Amt Ccy="EUR">10.00</Amt>
                    <Chrgs><Rcrd><Amt Ccy="EUR">0.35</Amt><CdtDbtInd>DBIT</CdtDbtInd></Rcrd></Chrgs>
                    <RltdPties><Dbtr><Pty><Nm>First Payer</Nm></Pty></Dbtr></RltdPties>
                  </TxDtls>
                  <TxDtls>
                    <Amt Ccy="EUR">abc</Amt>
                    <RltdPties><Dbtr><Pty><Nm>Second Payer</Nm></Pty></Dbtr></RltdPties>
                  </TxDtls>
                  <TxDtls>
                    <Amt Ccy="EUR">30.00</Amt>
                    <RltdPties><Dbtr><Pty><Nm>Third Payer</Nm></Pty></Dbtr></RltdPties>
                  </TxDtls>
                </NtryDtls>
              </Ntry>
            </Stmt>
          </BkToCstmrStmt>
        </Document>
        """

    /// A camt.052 intraday report: a valid ISO 20022 message, but not one this parser reads.
    static let accountReport052 = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08">
          <BkToCstmrAcctRpt>
            <GrpHdr><MsgId>RPT-1</MsgId><CreDtTm>2026-11-27T12:00:00Z</CreDtTm></GrpHdr>
            <Rpt>
              <Id>RPT-1</Id>
              <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
              <Ntry>
                <Amt Ccy="EUR">10.00</Amt>
                <CdtDbtInd>CRDT</CdtDbtInd>
                <Sts><Cd>BOOK</Cd></Sts>
              </Ntry>
            </Rpt>
          </BkToCstmrAcctRpt>
        </Document>
        """
}

extension String {
    /// The text with the first occurrence of `target` replaced; fixtures derive variants this way.
    func replacingOnce(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { preconditionFailure("fixture has no \(target)") }
        return replacingCharacters(in: range, with: replacement)
    }
}
