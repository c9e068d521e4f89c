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

  <!-- Round to two decimals (XPath round: half towards positive infinity), as the official rules
       compare amounts. -->
  <xsl:function name="svrl:money" as="xs:decimal">
    <xsl:param name="value" as="xs:decimal"/>
    <xsl:sequence select="round($value * 100) div 100"/>
  </xsl:function>

  <!-- Luhn over the first nine digits: every other digit from the right doubled (digit sum). -->
  <xsl:function name="svrl:luhn" as="xs:boolean">
    <xsl:param name="number" as="xs:string"/>
    <xsl:variable name="d" select="for $c in string-to-codepoints(substring($number, 1, 9)) return $c - 48"/>
    <xsl:variable name="sum" select="sum(for $i in 1 to 9 return (if ($i mod 2 = 1) then (if ($d[$i] * 2 gt 9) then $d[$i] * 2 - 9 else $d[$i] * 2) else $d[$i]))"/>
    <xsl:sequence select="(10 - $sum mod 10) mod 10 = string-to-codepoints(substring($number, 10, 1)) - 48"/>
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
      <xsl:with-param name="ok" select="exists(cbc:BuyerReference) or exists(cac:OrderReference/cbc:ID)"/>
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
      <xsl:with-param name="ok" select="if (exists($lmt/cbc:AllowanceTotalAmount)) then xs:decimal($lmt/cbc:AllowanceTotalAmount) = $allowances else empty(cac:AllowanceCharge[cbc:ChargeIndicator = 'false'])"/>
      <xsl:with-param name="test">AllowanceTotalAmount = sum of document level allowances</xsl:with-param>
      <xsl:with-param name="text">Sum of allowances on document level (BT-107) = Σ Document level allowance amount (BT-92).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">BR-CO-12</xsl:with-param>
      <xsl:with-param name="ok" select="if (exists($lmt/cbc:ChargeTotalAmount)) then xs:decimal($lmt/cbc:ChargeTotalAmount) = $charges else empty(cac:AllowanceCharge[cbc:ChargeIndicator = 'true'])"/>
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
      <xsl:with-param name="ok" select="every $t in cac:TaxTotal[cac:TaxSubtotal] satisfies xs:decimal($t/cbc:TaxAmount) = svrl:money(sum($t/cac:TaxSubtotal/xs:decimal(cbc:TaxAmount)))"/>
      <xsl:with-param name="test">TaxTotal/TaxAmount = sum of TaxSubtotal/TaxAmount</xsl:with-param>
      <xsl:with-param name="text">Invoice total VAT amount (BT-110) = Σ VAT category tax amount (BT-117).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="check">
      <xsl:with-param name="id">PEPPOL-EN16931-R053</xsl:with-param>
      <xsl:with-param name="ok" select="count(cac:TaxTotal[cac:TaxSubtotal]) = 1"/>
      <xsl:with-param name="test">exactly one tax total with a VAT breakdown</xsl:with-param>
      <xsl:with-param name="text">Only one tax total with tax subtotals MUST be provided.</xsl:with-param>
    </xsl:call-template>
    <xsl:for-each select="descendant::*[not(*) and normalize-space() = '']">
      <xsl:call-template name="check">
        <xsl:with-param name="id">PEPPOL-EN16931-R008</xsl:with-param>
        <xsl:with-param name="ok" select="false()"/>
        <xsl:with-param name="test">an element without children or text</xsl:with-param>
        <xsl:with-param name="text">Document MUST not contain empty elements.</xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
    <!-- Swedish identifiers: an organisation number under scheme 0007 is ten digits with a valid
         Luhn check digit (PEPPOL-COMMON-R049); a Swedish seller's VAT number is SE + 12 digits
         (SE-R-001, SE-R-002) and its other tax registration says "Godkänd för F-skatt" (SE-R-005). -->
    <xsl:for-each select="descendant::cbc:EndpointID[@schemeID = '0007'] | descendant::cac:PartyIdentification/cbc:ID[@schemeID = '0007'] | descendant::cbc:CompanyID[@schemeID = '0007']">
      <xsl:variable name="digits" select="normalize-space(.)"/>
      <xsl:call-template name="check">
        <xsl:with-param name="id">PEPPOL-COMMON-R049</xsl:with-param>
        <xsl:with-param name="ok" select="matches($digits, '^[0-9]{10}$') and svrl:luhn($digits)"/>
        <xsl:with-param name="test">ten digits, the last a Luhn check digit of the first nine</xsl:with-param>
        <xsl:with-param name="text">Swedish organization number MUST be stated in the correct format.</xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
    <xsl:for-each select="cac:AccountingSupplierParty/cac:Party[cac:PostalAddress/cac:Country/cbc:IdentificationCode = 'SE']">
      <xsl:variable name="vat" select="cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/cbc:CompanyID"/>
      <xsl:if test="some $v in $vat satisfies substring($v, 1, 2) = 'SE'">
        <xsl:call-template name="check">
          <xsl:with-param name="id">SE-R-001</xsl:with-param>
          <xsl:with-param name="ok" select="string-length(normalize-space($vat[1])) = 14"/>
          <xsl:with-param name="test">the Swedish VAT number has 14 characters</xsl:with-param>
          <xsl:with-param name="text">For Swedish suppliers, Swedish VAT-numbers must consist of 14 characters.</xsl:with-param>
        </xsl:call-template>
        <xsl:call-template name="check">
          <xsl:with-param name="id">SE-R-002</xsl:with-param>
          <xsl:with-param name="ok" select="string(number(substring($vat[1], 3, 12))) != 'NaN'"/>
          <xsl:with-param name="test">the last 12 characters are a number</xsl:with-param>
          <xsl:with-param name="text">For Swedish suppliers, the Swedish VAT-numbers must have the trailing 12 characters in numeric form</xsl:with-param>
        </xsl:call-template>
      </xsl:if>
      <xsl:if test="exists(cac:PartyLegalEntity/cbc:CompanyID)">
        <xsl:for-each select="cac:PartyTaxScheme[normalize-space(upper-case(cac:TaxScheme/cbc:ID)) != 'VAT']/cbc:CompanyID">
          <xsl:call-template name="check">
            <xsl:with-param name="id">SE-R-005</xsl:with-param>
            <xsl:with-param name="ok" select="normalize-space(upper-case(.)) = 'GODKÄND FÖR F-SKATT'"/>
            <xsl:with-param name="test">the other tax registration reads Godkänd för F-skatt</xsl:with-param>
            <xsl:with-param name="text">For Swedish suppliers, when using Seller tax registration identifier, 'Godkänd för F-skatt' must be stated</xsl:with-param>
          </xsl:call-template>
        </xsl:for-each>
      </xsl:if>
    </xsl:for-each>
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
    <xsl:if test="self::ubl:Invoice">
      <!-- BR-CO-25 is bound to the Invoice only in the UBL syntax binding (a CreditNote has no DueDate). -->
      <xsl:call-template name="check">
        <xsl:with-param name="id">BR-CO-25</xsl:with-param>
        <xsl:with-param name="ok" select="xs:decimal($lmt/cbc:PayableAmount) le 0 or exists(cbc:DueDate | cac:PaymentTerms/cbc:Note)"/>
        <xsl:with-param name="test">((. &gt; 0) and (exists(//cbc:DueDate) or exists(//cac:PaymentTerms/cbc:Note))) or (. &lt;= 0)</xsl:with-param>
        <xsl:with-param name="text">In case the Amount due for payment (BT-115) is positive, either the Payment due date (BT-9) or the Payment terms (BT-20) shall be present.</xsl:with-param>
      </xsl:call-template>
    </xsl:if>
    <!-- VAT: the categories S, E, Z, O (EN 16931 BR-S/E/Z/O, Peppol SE-R-006). -->
    <xsl:variable name="categories" select="distinct-values(($lines/cac:Item/cac:ClassifiedTaxCategory/normalize-space(cbc:ID), cac:AllowanceCharge/cac:TaxCategory/normalize-space(cbc:ID)))"/>
    <xsl:variable name="breakdown-categories" select="distinct-values($tax-total/cac:TaxSubtotal/cac:TaxCategory/normalize-space(cbc:ID))"/>
    <xsl:variable name="swedish-seller" select="exists(cac:AccountingSupplierParty/cac:Party[cac:PostalAddress/cac:Country/cbc:IdentificationCode = 'SE' and cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/substring(cbc:CompanyID, 1, 2) = 'SE'])"/>
    <xsl:variable name="has-vat-id" select="exists(cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID) or exists(cac:TaxRepresentativeParty/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/cbc:CompanyID)"/>
    <xsl:variable name="doc" select="."/>
    <xsl:for-each select="('S', 'E', 'Z')[. = ($categories, $breakdown-categories)]">
      <xsl:variable name="cat" select="."/>
      <xsl:for-each select="$doc">
      <xsl:call-template name="check">
        <xsl:with-param name="id" select="concat('BR-', $cat, '-01')"/>
        <xsl:with-param name="ok" select="if ($cat = 'S') then (count($tax-total/cac:TaxSubtotal[normalize-space(cac:TaxCategory/cbc:ID) = 'S']) ge 1) = ('S' = $categories) else count($tax-total/cac:TaxSubtotal[normalize-space(cac:TaxCategory/cbc:ID) = $cat]) = 1"/>
        <xsl:with-param name="test">VAT breakdown of the category present</xsl:with-param>
        <xsl:with-param name="text" select="concat('An Invoice that contains an Invoice line, a Document level allowance or a Document level charge where the VAT category code is ', $cat, ' shall contain in the VAT breakdown (BG-23) ', if ($cat = 'S') then 'at least one VAT category code' else 'exactly one VAT category code', ' equal with ', $cat, '.')"/>
      </xsl:call-template>
      <xsl:call-template name="check">
        <xsl:with-param name="id" select="concat('BR-', $cat, '-02')"/>
        <xsl:with-param name="ok" select="$has-vat-id or not($cat = $lines/cac:Item/cac:ClassifiedTaxCategory/normalize-space(cbc:ID))"/>
        <xsl:with-param name="test">Seller VAT identifier present</xsl:with-param>
        <xsl:with-param name="text" select="concat('An Invoice that contains an Invoice line where the Invoiced item VAT category code (BT-151) is ', $cat, ' shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).')"/>
      </xsl:call-template>
      </xsl:for-each>
    </xsl:for-each>
    <xsl:if test="'O' = $categories or exists($tax-total/cac:TaxSubtotal[normalize-space(cac:TaxCategory/cbc:ID) = 'O'])">
      <xsl:call-template name="check">
        <xsl:with-param name="id">BR-O-01</xsl:with-param>
        <xsl:with-param name="ok" select="count($tax-total/cac:TaxSubtotal[normalize-space(cac:TaxCategory/cbc:ID) = 'O']) = 1"/>
        <xsl:with-param name="test">exactly one VAT breakdown with O</xsl:with-param>
        <xsl:with-param name="text">An Invoice that contains an Invoice line, a Document level allowance or a Document level charge where the VAT category code is "Not subject to VAT" shall contain exactly one VAT breakdown group (BG-23) with the VAT category code (BT-118) equal to "Not subject to VAT".</xsl:with-param>
      </xsl:call-template>
      <xsl:call-template name="check">
        <xsl:with-param name="id">BR-O-02</xsl:with-param>
        <xsl:with-param name="ok" select="not(cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/cbc:CompanyID) and not(cac:TaxRepresentativeParty/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/cbc:CompanyID) and not(cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/cbc:CompanyID)"/>
        <xsl:with-param name="test">no seller, representative or buyer VAT identifier</xsl:with-param>
        <xsl:with-param name="text">An Invoice that contains an Invoice line where the Invoiced item VAT category code (BT-151) is "Not subject to VAT" shall not contain the Seller VAT identifier (BT-31), the Seller tax representative VAT identifier (BT-63) or the Buyer VAT identifier (BT-48).</xsl:with-param>
      </xsl:call-template>
      <xsl:call-template name="check">
        <xsl:with-param name="id">BR-O-11</xsl:with-param>
        <xsl:with-param name="ok" select="count($tax-total/cac:TaxSubtotal[normalize-space(cac:TaxCategory/cbc:ID) != 'O']) = 0"/>
        <xsl:with-param name="test">no other VAT breakdown</xsl:with-param>
        <xsl:with-param name="text">An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) "Not subject to VAT" shall not contain other VAT breakdown groups (BG-23).</xsl:with-param>
      </xsl:call-template>
      <xsl:call-template name="check">
        <xsl:with-param name="id">BR-O-12</xsl:with-param>
        <xsl:with-param name="ok" select="count($lines[normalize-space(cac:Item/cac:ClassifiedTaxCategory/cbc:ID) != 'O']) = 0"/>
        <xsl:with-param name="test">no line of another category</xsl:with-param>
        <xsl:with-param name="text">An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) "Not subject to VAT" shall not contain an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is not "Not subject to VAT".</xsl:with-param>
      </xsl:call-template>
    </xsl:if>
    <xsl:for-each select="$tax-total/cac:TaxSubtotal">
      <xsl:variable name="cat" select="normalize-space(cac:TaxCategory/cbc:ID)"/>
      <xsl:variable name="rate" select="if (exists(cac:TaxCategory/cbc:Percent)) then xs:decimal(cac:TaxCategory/cbc:Percent) else 0"/>
      <xsl:variable name="same" select="if ($cat = 'S') then $lines[cac:Item/cac:ClassifiedTaxCategory[normalize-space(cbc:ID) = 'S' and xs:decimal(cbc:Percent) = $rate]] else $lines[normalize-space(cac:Item/cac:ClassifiedTaxCategory/cbc:ID) = $cat]"/>
      <xsl:variable name="same-ac" select="if ($cat = 'S') then ../../cac:AllowanceCharge[cac:TaxCategory[normalize-space(cbc:ID) = 'S' and xs:decimal(cbc:Percent) = $rate]] else ../../cac:AllowanceCharge[normalize-space(cac:TaxCategory/cbc:ID) = $cat]"/>
      <xsl:variable name="base" select="sum($same/xs:decimal(cbc:LineExtensionAmount)) + sum($same-ac[cbc:ChargeIndicator = 'true']/xs:decimal(cbc:Amount)) - sum($same-ac[cbc:ChargeIndicator = 'false']/xs:decimal(cbc:Amount))"/>
      <xsl:variable name="has-reason" select="exists(cac:TaxCategory/cbc:TaxExemptionReason) or exists(cac:TaxCategory/cbc:TaxExemptionReasonCode)"/>
      <!-- The published tolerance for S: the VAT of a rate within 1 of the rounded product, and
           the taxable amount within 1 of its lines (rounding per line may differ from per rate). -->
      <xsl:variable name="expected-tax" select="svrl:money(abs(xs:decimal(cbc:TaxableAmount)) * $rate div 100)"/>
      <xsl:call-template name="check">
        <xsl:with-param name="id" select="concat('BR-', $cat, '-08')"/>
        <xsl:with-param name="ok" select="if ($cat = 'S') then exists($same | $same-ac) and abs(xs:decimal(cbc:TaxableAmount) - $base) lt 1 else xs:decimal(cbc:TaxableAmount) = $base"/>
        <xsl:with-param name="test">TaxableAmount = lines and charges minus allowances of the category (and rate)</xsl:with-param>
        <xsl:with-param name="text" select="concat('In a VAT breakdown (BG-23) where the VAT category code (BT-118) is ', $cat, ' the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amounts (BT-131) minus the sum of Document level allowance amounts (BT-92) plus the sum of Document level charge amounts (BT-99) where the VAT category codes (BT-151, BT-95, BT-102) are ', $cat, if ($cat = 'S') then ' and the VAT rate equals the VAT category rate (BT-119).' else '.')"/>
      </xsl:call-template>
      <xsl:call-template name="check">
        <xsl:with-param name="id" select="concat('BR-', $cat, '-09')"/>
        <xsl:with-param name="ok" select="if ($cat = 'S') then abs(abs(xs:decimal(cbc:TaxAmount)) - $expected-tax) lt 1 else xs:decimal(cbc:TaxAmount) = 0"/>
        <xsl:with-param name="test">TaxAmount = TaxableAmount × rate / 100 (S), 0 otherwise</xsl:with-param>
        <xsl:with-param name="text" select="if ($cat = 'S') then 'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where VAT category code (BT-118) is &quot;Standard rated&quot; shall equal the VAT category taxable amount (BT-116) multiplied by the VAT category rate (BT-119).' else concat('The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where the VAT category code (BT-118) is ', $cat, ' shall equal 0 (zero).')"/>
      </xsl:call-template>
      <xsl:call-template name="check">
        <xsl:with-param name="id" select="concat('BR-', $cat, '-10')"/>
        <xsl:with-param name="ok" select="if ($cat = ('S', 'Z')) then not($has-reason) else $has-reason"/>
        <xsl:with-param name="test">exemption reason: none for S and Z, required for E and O</xsl:with-param>
        <xsl:with-param name="text" select="if ($cat = ('S', 'Z')) then concat('A VAT breakdown (BG-23) with VAT Category code (BT-118) ', $cat, ' shall not have a VAT exemption reason code (BT-121) or VAT exemption reason text (BT-120).') else concat('A VAT breakdown (BG-23) with VAT Category code (BT-118) ', $cat, ' shall have a VAT exemption reason code (BT-121) or a VAT exemption reason text (BT-120).')"/>
      </xsl:call-template>
      <xsl:call-template name="check">
        <xsl:with-param name="id">BR-CO-17</xsl:with-param>
        <xsl:with-param name="ok" select="if (round($rate) = 0) then round(xs:decimal(cbc:TaxAmount)) = 0 else abs(abs(xs:decimal(cbc:TaxAmount)) - $expected-tax) lt 1"/>
        <xsl:with-param name="test">TaxAmount = round(TaxableAmount × rate / 100, 2)</xsl:with-param>
        <xsl:with-param name="text">VAT category tax amount (BT-117) = VAT category taxable amount (BT-116) x (VAT category rate (BT-119) / 100), rounded to two decimals.</xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
    <xsl:for-each select="$lines/cac:Item/cac:ClassifiedTaxCategory | cac:AllowanceCharge/cac:TaxCategory | $tax-total/cac:TaxSubtotal/cac:TaxCategory">
      <xsl:variable name="cat" select="normalize-space(cbc:ID)"/>
      <xsl:call-template name="check">
        <xsl:with-param name="id">BR-CL-18</xsl:with-param>
        <xsl:with-param name="ok" select="$cat = ('S', 'Z', 'E', 'AE', 'K', 'G', 'O', 'L', 'M', 'B')"/>
        <xsl:with-param name="test">VAT category code from UNCL5305</xsl:with-param>
        <xsl:with-param name="text">Invoice tax categories MUST be coded using UNCL5305 code list</xsl:with-param>
      </xsl:call-template>
      <xsl:if test="ancestor::cac:InvoiceLine or ancestor::cac:CreditNoteLine">
        <xsl:call-template name="check">
          <xsl:with-param name="id" select="concat('BR-', $cat, '-05')"/>
          <xsl:with-param name="ok" select="if ($cat = 'S') then xs:decimal((cbc:Percent, 0)[1]) gt 0 else if ($cat = 'O') then not(cbc:Percent) else xs:decimal((cbc:Percent, -1)[1]) = 0"/>
          <xsl:with-param name="test">line VAT rate: above zero for S, zero for E and Z, none for O</xsl:with-param>
          <xsl:with-param name="text" select="if ($cat = 'S') then 'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is &quot;Standard rated&quot; the Invoiced item VAT rate (BT-152) shall be greater than zero.' else if ($cat = 'O') then 'An Invoice line (BG-25) where the VAT category code (BT-151) is &quot;Not subject to VAT&quot; shall not contain an Invoiced item VAT rate (BT-152).' else concat('In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is ', $cat, ', the Invoiced item VAT rate (BT-152) shall be 0 (zero).')"/>
        </xsl:call-template>
      </xsl:if>
      <xsl:if test="$swedish-seller and $cat = 'S'">
        <xsl:call-template name="check">
          <xsl:with-param name="id">SE-R-006</xsl:with-param>
          <xsl:with-param name="ok" select="number(cbc:Percent) = (25, 12, 6)"/>
          <xsl:with-param name="test">number(cbc:Percent) = 25 or number(cbc:Percent) = 12 or number(cbc:Percent) = 6</xsl:with-param>
          <xsl:with-param name="text">For Swedish suppliers, only standard VAT rate of 6, 12 or 25 are used</xsl:with-param>
        </xsl:call-template>
      </xsl:if>
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
      <!-- PEPPOL-EN16931-R120 as published: the price is divided by the base quantity first, then
           multiplied by the quantity, line charges added and allowances subtracted (each rounded to
           the cent), and the line amount may differ from that by at most 0.02 either way. -->
      <xsl:variable name="quantity" select="if (exists(cbc:InvoicedQuantity | cbc:CreditedQuantity)) then xs:decimal((cbc:InvoicedQuantity | cbc:CreditedQuantity)[1]) else 1"/>
      <xsl:variable name="price" select="if (exists(cac:Price/cbc:PriceAmount)) then xs:decimal(cac:Price/cbc:PriceAmount) else 0"/>
      <xsl:variable name="base-quantity" select="if (exists(cac:Price/cbc:BaseQuantity) and xs:decimal(cac:Price/cbc:BaseQuantity) != 0) then xs:decimal(cac:Price/cbc:BaseQuantity) else 1"/>
      <xsl:variable name="line-allowances" select="round(sum(cac:AllowanceCharge[normalize-space(cbc:ChargeIndicator) = 'false']/xs:decimal(cbc:Amount)) * 100) div 100"/>
      <xsl:variable name="line-charges" select="round(sum(cac:AllowanceCharge[normalize-space(cbc:ChargeIndicator) = 'true']/xs:decimal(cbc:Amount)) * 100) div 100"/>
      <xsl:variable name="expected" select="($quantity * ($price div $base-quantity)) + $line-charges - $line-allowances"/>
      <xsl:variable name="line-amount" select="if (exists(cbc:LineExtensionAmount)) then xs:decimal(cbc:LineExtensionAmount) else 0"/>
      <xsl:call-template name="check">
        <xsl:with-param name="id">PEPPOL-EN16931-R120</xsl:with-param>
        <xsl:with-param name="ok" select="xs:decimal($expected + 0.02) ge $line-amount and xs:decimal($expected - 0.02) le $line-amount"/>
        <xsl:with-param name="test">u:slack($lineExtensionAmount, ($quantity * ($priceAmount div $baseQuantity)) + $chargesTotal - $allowancesTotal, 0.02)</xsl:with-param>
        <xsl:with-param name="text">Invoice line net amount MUST equal (Invoiced quantity * (Item net price/item price base quantity) + Sum of invoice line charge amount - sum of invoice line allowance amount</xsl:with-param>
      </xsl:call-template>
      <xsl:call-template name="check">
        <xsl:with-param name="id">PEPPOL-EN16931-R121</xsl:with-param>
        <xsl:with-param name="ok" select="not(cac:Price/cbc:BaseQuantity) or xs:decimal(cac:Price/cbc:BaseQuantity) gt 0"/>
        <xsl:with-param name="test">not(cac:Price/cbc:BaseQuantity) or xs:decimal(cac:Price/cbc:BaseQuantity) &gt; 0</xsl:with-param>
        <xsl:with-param name="text">Base quantity MUST be a positive number above zero.</xsl:with-param>
      </xsl:call-template>
      <xsl:call-template name="check">
        <xsl:with-param name="id">PEPPOL-EN16931-R130</xsl:with-param>
        <xsl:with-param name="ok" select="not(cac:Price/cbc:BaseQuantity/@unitCode) or cac:Price/cbc:BaseQuantity/@unitCode = (cbc:InvoicedQuantity | cbc:CreditedQuantity)/@unitCode"/>
        <xsl:with-param name="test">BaseQuantity/@unitCode = quantity/@unitCode</xsl:with-param>
        <xsl:with-param name="text">Unit code of price base quantity MUST be same as invoiced quantity.</xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
