<?xml version="1.0" encoding="UTF-8"?>
<!--
  Samdrift's own check of the EN 16931 core and totals rules on UBL 2.1 Invoice and CreditNote,
  written for Samdrift (not a copy of the official CEN or Peppol artefacts). It reports in SVRL
  like a compiled Schematron, with the rule ids of EN 16931 and Peppol BIS Billing 3.0, so the
  same runner (samdrift/billing/validation.py) reads it and the official compiled XSLT files when
  they are placed beside it (see README.md in this folder).
-->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:svrl="http://purl.oclc.org/dsdl/svrl"
    xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    xmlns:cn="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    exclude-result-prefixes="xs ubl cn cac cbc">

  <xsl:output method="xml" indent="yes"/>

  <!-- Round to two decimals, half away from zero, as the rules compare amounts. -->
  <xsl:function name="svrl:money" as="xs:decimal">
    <xsl:param name="value" as="xs:decimal"/>
    <xsl:sequence select="round($value * 100) div 100"/>
  </xsl:function>

  <xsl:template name="check">
    <xsl:param name="id" as="xs:string"/>
    <xsl:param name="ok" as="xs:boolean"/>
    <xsl:param name="test" as="xs:string"/>
    <xsl:param name="text" as="xs:string"/>
    <xsl:param name="flag" as="xs:string" select="'fatal'"/>
    <xsl:if test="not($ok)">
      <svrl:failed-assert id="{$id}" flag="{$flag}" test="{$test}" location="{path(.)}">
        <svrl:text>[<xsl:value-of select="$id"/>]-<xsl:value-of select="$text"/></svrl:text>
      </svrl:failed-assert>
    </xsl:if>
  </xsl:template>

  <xsl:template match="/">
    <svrl:schematron-output title="Samdrift EN 16931 core and totals">
      <svrl:active-pattern id="samdrift-core"/>
      <xsl:apply-templates select="ubl:Invoice | cn:CreditNote"/>
    </svrl:schematron-output>
  </xsl:template>

  <xsl:template match="ubl:Invoice | cn:CreditNote">
    <xsl:variable name="lines" select="cac:InvoiceLine | cac:CreditNoteLine"/>
    <xsl:variable name="lmt" select="cac:LegalMonetaryTotal"/>
    <xsl:variable name="line-sum" select="svrl:money(sum($lines/xs:decimal(cbc:LineExtensionAmount)))"/>
    <xsl:variable name="allowances" select="svrl:money(sum(cac:AllowanceCharge[cbc:ChargeIndicator = 'false']/xs:decimal(cbc:Amount)))"/>
    <xsl:variable name="charges" select="svrl:money(sum(cac:AllowanceCharge[cbc:ChargeIndicator = 'true']/xs:decimal(cbc:Amount)))"/>
    <xsl:variable name="currency" select="string(cbc:DocumentCurrencyCode)"/>
    <xsl:variable name="tax-total" select="cac:TaxTotal[cbc:TaxAmount/@currencyID = $currency]"/>
    <svrl:fired-rule context="{name()}"/>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-01</xsl:with-param>
      <xsl:with-param name="ok" select="normalize-space(cbc:CustomizationID) != ''"/>
      <xsl:with-param name="test">(cbc:CustomizationID) != ''</xsl:with-param>
      <xsl:with-param name="text">An Invoice shall have a Specification identifier (BT-24).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-02</xsl:with-param>
      <xsl:with-param name="ok" select="normalize-space(cbc:ID) != ''"/>
      <xsl:with-param name="test">(cbc:ID) != ''</xsl:with-param>
      <xsl:with-param name="text">An Invoice shall have an Invoice number (BT-1).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-03</xsl:with-param>
      <xsl:with-param name="ok" select="normalize-space(cbc:IssueDate) != ''"/>
      <xsl:with-param name="test">(cbc:IssueDate) != ''</xsl:with-param>
      <xsl:with-param name="text">An Invoice shall have an Invoice issue date (BT-2).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-04</xsl:with-param>
      <xsl:with-param name="ok" select="normalize-space(cbc:InvoiceTypeCode | cbc:CreditNoteTypeCode) != ''"/>
      <xsl:with-param name="test">(cbc:InvoiceTypeCode | cbc:CreditNoteTypeCode) != ''</xsl:with-param>
      <xsl:with-param name="text">An Invoice shall have an Invoice type code (BT-3).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-05</xsl:with-param>
      <xsl:with-param name="ok" select="$currency != ''"/>
      <xsl:with-param name="test">(cbc:DocumentCurrencyCode) != ''</xsl:with-param>
      <xsl:with-param name="text">An Invoice shall have an Invoice currency code (BT-5).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-06</xsl:with-param>
      <xsl:with-param name="ok" select="normalize-space(cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName) != ''"/>
      <xsl:with-param name="test">(cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName) != ''</xsl:with-param>
      <xsl:with-param name="text">An Invoice shall contain the Seller name (BT-27).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-07</xsl:with-param>
      <xsl:with-param name="ok" select="normalize-space(cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName) != ''"/>
      <xsl:with-param name="test">(cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName) != ''</xsl:with-param>
      <xsl:with-param name="text">An Invoice shall contain the Buyer name (BT-44).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-16</xsl:with-param>
      <xsl:with-param name="ok" select="exists($lines)"/>
      <xsl:with-param name="test">exists(cac:InvoiceLine) or exists(cac:CreditNoteLine)</xsl:with-param>
      <xsl:with-param name="text">An Invoice shall have at least one Invoice line (BG-25).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">PEPPOL-EN16931-R003</xsl:with-param>
      <xsl:with-param name="ok" select="normalize-space(cbc:BuyerReference) != '' or exists(cac:OrderReference/cbc:ID)"/>
      <xsl:with-param name="test">cbc:BuyerReference or cac:OrderReference/cbc:ID</xsl:with-param>
      <xsl:with-param name="text">A buyer reference or purchase order reference MUST be provided.</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-CO-10</xsl:with-param>
      <xsl:with-param name="ok" select="xs:decimal($lmt/cbc:LineExtensionAmount) = $line-sum"/>
      <xsl:with-param name="test">LineExtensionAmount = sum of the lines' LineExtensionAmount</xsl:with-param>
      <xsl:with-param name="text">Sum of Invoice line net amount (BT-106) = Σ Invoice line net amount (BT-131).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-CO-11</xsl:with-param>
      <xsl:with-param name="ok" select="if (exists($lmt/cbc:AllowanceTotalAmount)) then xs:decimal($lmt/cbc:AllowanceTotalAmount) = $allowances else $allowances = 0"/>
      <xsl:with-param name="test">AllowanceTotalAmount = sum of document level allowances</xsl:with-param>
      <xsl:with-param name="text">Sum of allowances on document level (BT-107) = Σ Document level allowance amount (BT-92).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-CO-12</xsl:with-param>
      <xsl:with-param name="ok" select="if (exists($lmt/cbc:ChargeTotalAmount)) then xs:decimal($lmt/cbc:ChargeTotalAmount) = $charges else $charges = 0"/>
      <xsl:with-param name="test">ChargeTotalAmount = sum of document level charges</xsl:with-param>
      <xsl:with-param name="text">Sum of charges on document level (BT-108) = Σ Document level charge amount (BT-99).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-CO-13</xsl:with-param>
      <xsl:with-param name="ok" select="xs:decimal($lmt/cbc:TaxExclusiveAmount) = svrl:money(xs:decimal($lmt/cbc:LineExtensionAmount) - xs:decimal(($lmt/cbc:AllowanceTotalAmount, 0)[1]) + xs:decimal(($lmt/cbc:ChargeTotalAmount, 0)[1]))"/>
      <xsl:with-param name="test">TaxExclusiveAmount = LineExtensionAmount - AllowanceTotalAmount + ChargeTotalAmount</xsl:with-param>
      <xsl:with-param name="text">Invoice total amount without VAT (BT-109) = Σ Invoice line net amount (BT-131) - Sum of allowances on document level (BT-107) + Sum of charges on document level (BT-108).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-CO-14</xsl:with-param>
      <xsl:with-param name="ok" select="count($tax-total) = 1 and xs:decimal($tax-total/cbc:TaxAmount) = svrl:money(sum($tax-total/cac:TaxSubtotal/xs:decimal(cbc:TaxAmount)))"/>
      <xsl:with-param name="test">TaxTotal/TaxAmount = sum of TaxSubtotal/TaxAmount</xsl:with-param>
      <xsl:with-param name="text">Invoice total VAT amount (BT-110) = Σ VAT category tax amount (BT-117).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-CO-15</xsl:with-param>
      <xsl:with-param name="ok" select="xs:decimal($lmt/cbc:TaxInclusiveAmount) = svrl:money(xs:decimal($lmt/cbc:TaxExclusiveAmount) + xs:decimal(($tax-total/cbc:TaxAmount, 0)[1]))"/>
      <xsl:with-param name="test">TaxInclusiveAmount = TaxExclusiveAmount + TaxTotal/TaxAmount</xsl:with-param>
      <xsl:with-param name="text">Invoice total amount with VAT (BT-112) = Invoice total amount without VAT (BT-109) + Invoice total VAT amount (BT-110).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-CO-16</xsl:with-param>
      <xsl:with-param name="ok" select="xs:decimal($lmt/cbc:PayableAmount) = svrl:money(xs:decimal($lmt/cbc:TaxInclusiveAmount) - xs:decimal(($lmt/cbc:PrepaidAmount, 0)[1]) + xs:decimal(($lmt/cbc:PayableRoundingAmount, 0)[1]))"/>
      <xsl:with-param name="test">PayableAmount = TaxInclusiveAmount - PrepaidAmount + PayableRoundingAmount</xsl:with-param>
      <xsl:with-param name="text">Amount due for payment (BT-115) = Invoice total amount with VAT (BT-112) - Paid amount (BT-113) + Rounding amount (BT-114).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-CO-25</xsl:with-param>
      <xsl:with-param name="ok" select="xs:decimal($lmt/cbc:PayableAmount) le 0 or exists(cbc:DueDate | cac:PaymentMeans/cbc:PaymentDueDate | cac:PaymentTerms/cbc:Note)"/>
      <xsl:with-param name="test">PayableAmount &gt; 0 requires a due date or payment terms</xsl:with-param>
      <xsl:with-param name="text">In case the Amount due for payment (BT-115) is positive, either the Payment due date (BT-9) or the Payment terms (BT-20) shall be present.</xsl:with-param>
    </xsl:call-template>
    <xsl:for-each select="$tax-total/cac:TaxSubtotal[cac:TaxCategory/cbc:ID = 'S']">
      <xsl:variable name="rate" select="xs:decimal(cac:TaxCategory/cbc:Percent)"/>
      <xsl:variable name="base" select="svrl:money(sum($lines[cac:Item/cac:ClassifiedTaxCategory[cbc:ID = 'S' and xs:decimal(cbc:Percent) = $rate]]/xs:decimal(cbc:LineExtensionAmount))
          + sum(../../cac:AllowanceCharge[cbc:ChargeIndicator = 'true' and cac:TaxCategory[cbc:ID = 'S' and xs:decimal(cbc:Percent) = $rate]]/xs:decimal(cbc:Amount))
          - sum(../../cac:AllowanceCharge[cbc:ChargeIndicator = 'false' and cac:TaxCategory[cbc:ID = 'S' and xs:decimal(cbc:Percent) = $rate]]/xs:decimal(cbc:Amount)))"/>
      <xsl:call-template name="check">
        <xsl:with-param name="id">BR-S-08</xsl:with-param>
        <xsl:with-param name="ok" select="xs:decimal(cbc:TaxableAmount) = $base"/>
        <xsl:with-param name="test">TaxableAmount = lines and charges minus allowances of the rate</xsl:with-param>
        <xsl:with-param name="text">For each different value of VAT category rate (BT-119) where the VAT category code (BT-118) is "Standard rated", the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amounts (BT-131) plus the sum of document level charge amounts (BT-99) minus the sum of document level allowance amounts (BT-92) where the VAT category code is "Standard rated" and the VAT rate equals the VAT category rate.</xsl:with-param>
      </xsl:call-template>
      <xsl:call-template name="check">
        <xsl:with-param name="id">BR-S-09</xsl:with-param>
        <xsl:with-param name="ok" select="xs:decimal(cbc:TaxAmount) = svrl:money(xs:decimal(cbc:TaxableAmount) * $rate div 100)"/>
        <xsl:with-param name="test">TaxAmount = TaxableAmount × rate / 100</xsl:with-param>
        <xsl:with-param name="text">The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where VAT category code (BT-118) is "Standard rated" shall equal the VAT category taxable amount (BT-116) multiplied by the VAT category rate (BT-119).</xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
    <xsl:for-each select="$lines">
      <xsl:call-template name="check">
        <xsl:with-param name="id">BR-21</xsl:with-param>
        <xsl:with-param name="ok" select="normalize-space(cbc:ID) != ''"/>
        <xsl:with-param name="test">(cbc:ID) != ''</xsl:with-param>
        <xsl:with-param name="text">Each Invoice line (BG-25) shall have an Invoice line identifier (BT-126).</xsl:with-param>
      </xsl:call-template>
      <xsl:call-template name="check">
        <xsl:with-param name="id">BR-25</xsl:with-param>
        <xsl:with-param name="ok" select="normalize-space(cac:Item/cbc:Name) != ''"/>
        <xsl:with-param name="test">(cac:Item/cbc:Name) != ''</xsl:with-param>
        <xsl:with-param name="text">Each Invoice line (BG-25) shall contain the Item name (BT-153).</xsl:with-param>
      </xsl:call-template>
      <xsl:call-template name="check">
        <xsl:with-param name="id">BR-27</xsl:with-param>
        <xsl:with-param name="ok" select="exists(cac:Price/cbc:PriceAmount) and xs:decimal(cac:Price/cbc:PriceAmount) ge 0"/>
        <xsl:with-param name="test">(cac:Price/cbc:PriceAmount) &gt;= 0</xsl:with-param>
        <xsl:with-param name="text">The Item net price (BT-146) shall NOT be negative.</xsl:with-param>
      </xsl:call-template>
      <xsl:call-template name="check">
        <xsl:with-param name="id">PEPPOL-EN16931-R120</xsl:with-param>
        <xsl:with-param name="ok" select="xs:decimal(cbc:LineExtensionAmount) = svrl:money(xs:decimal(cbc:InvoicedQuantity | cbc:CreditedQuantity) * xs:decimal(cac:Price/cbc:PriceAmount) div xs:decimal((cac:Price/cbc:BaseQuantity, 1)[1]))"/>
        <xsl:with-param name="test">LineExtensionAmount = quantity × price / base quantity</xsl:with-param>
        <xsl:with-param name="text">Invoice line net amount MUST equal (Invoiced quantity * (Item net price/item price base quantity) + Sum of invoice line charge amount - sum of invoice line allowance amount.</xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
